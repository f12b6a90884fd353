import ArgumentParser
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import VividCrowdCore

/// Runs the HTTP server until interrupted.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start the server (HOST:PORT, default 127.0.0.1:8000): REST, WebSocket and the web page at /.")

    @OptionGroup var serviceOptions: ServiceOptions

    @Option(help: "Listen on this port instead of PORT (0 picks a free one).")
    var port: Int?

    @Option(help: "Import this knowledge-base CSV at start-up (a file already imported unchanged is a no-op).")
    var importCSV: String?

    @Option(help: "Make twins of the documents this manifest lists at start-up, e.g. corpora/twins/shipped.json (twins made before are kept).")
    var seedTwins: String?

    @Option(help: "Make sales-training customers of the profile documents (.md, .txt, .pdf) in this folder at start-up, e.g. corpora/sales/customers.")
    var seedCustomers: String?

    func run() async throws {
        let logger = Logger(label: "vividcrowd.server")
        let services = try await serviceOptions.start(label: "vividcrowd.server") { settings in
            if let port { settings.server.port = port }
        }
        let settings = services.settings
        if let refusal = Self.openWritesRefusal(settings) { throw CommandFailure(refusal) }
        if let importCSV {
            let url = URL(fileURLWithPath: importCSV)
            let outcome = try await services.customerService.importKnowledgeBase(
                try Data(contentsOf: url), fileName: url.lastPathComponent)
            logger.notice("\(outcome.message)")
        }
        if let seedTwins {
            let created = try await services.twins.seed(try TwinSeed.uploads(manifest: URL(fileURLWithPath: seedTwins)))
            logger.notice("twins from \(seedTwins): \(created) made, the others were already there")
        }
        if let seedCustomers {
            let created = try await services.customers.seed(folder: URL(fileURLWithPath: seedCustomers))
            logger.notice("customers from \(seedCustomers): \(created) made, the others were already there")
        }
        let connections = ConnectionCount()
        let app = Routes.application(
            services, host: settings.server.host, port: settings.server.port, connections: connections, logger: logger)
        var running: [any Service] = [services.store, app]
        if settings.protection.memoryTrimSeconds > 0 {
            running.append(MemoryTrimService(
                connections: connections, interval: .seconds(settings.protection.memoryTrimSeconds), clock: ContinuousClock(),
                logger: logger))
        }
        // The store first: a service group stops its services in reverse order, so the store closes last.
        let group = ServiceGroup(
            configuration: .init(services: running, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        try await services.llm.shutdown()
    }

    /// Why the server must not start: it would listen beyond this machine with every write route open. nil when it
    /// listens on loopback only, has an admin token, or the operator accepted open writes.
    static func openWritesRefusal(_ settings: VividCrowdConfiguration) -> String? {
        let host = settings.server.host.lowercased()
        let loopback = host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
        guard !loopback, settings.server.adminToken?.isEmpty ?? true, !settings.protection.allowNoAdminToken else {
            return nil
        }
        return "refusing to listen on \(settings.server.host) without ADMIN_TOKEN: anyone who can reach it could import "
            + "knowledge bases and move handoffs. Set ADMIN_TOKEN, or ALLOW_NO_ADMIN_TOKEN=on to accept that"
    }
}
