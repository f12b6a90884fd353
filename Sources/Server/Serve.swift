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

    @Option(help: "Upload this sales material (.pdf, .xlsx) for the training copilot at start-up (repeatable; the same bytes again are a no-op).")
    var seedMaterials: [String] = []

    func run() async throws {
        let logger = Logger(label: "vividcrowd.server")
        let services = try await serviceOptions.start(label: "vividcrowd.server", allowsDemo: true) { settings in
            if let port { settings.server.port = port }
        }
        let settings = services.settings
        do {
            if let refusal = Self.openWritesRefusal(settings) { throw CommandFailure(refusal) }
            try await seed(services, logger: logger)
        } catch {
            // The HTTP client and the store must be closed before they go, also when start-up fails.
            try? await services.llm.shutdown()
            try? await services.store.close()
            throw error
        }
        // Loading and seeding free most of what they allocate, and glibc keeps it (2.8 MB measured with qa.csv
        // imported), and an import touches most of jieba's mapped tables (9 MB): given back once before listening,
        // under the same switch as the trims after bursts.
        if settings.protection.memoryTrimSeconds > 0 { await services.releaseIdleMemory() }
        let connections = ConnectionCount()
        let app = Routes.application(
            services, host: settings.server.host, port: settings.server.port, connections: connections, logger: logger)
        var running: [any Service] = [services.store, app]
        if settings.protection.memoryTrimSeconds > 0 {
            running.append(MemoryTrimService(
                connections: connections, interval: .seconds(settings.protection.memoryTrimSeconds), clock: ContinuousClock(),
                logger: logger, trim: services.releaseIdleMemory))
        }
        // The store first: a service group stops its services in reverse order, so the store closes last.
        let group = ServiceGroup(
            configuration: .init(services: running, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            try? await services.llm.shutdown()
            throw error
        }
        try await services.llm.shutdown()
    }

    /// Imports and seeds what the options (or the offline demo's manifest) name, before the server listens.
    private func seed(_ services: ServerServices, logger: Logger) async throws {
        let settings = services.settings
        let demo = settings.demo?.seed
        if let importCSV = importCSV ?? demo?.knowledgeBase {
            let url = URL(fileURLWithPath: importCSV)
            let data = try Data(contentsOf: url)
            let outcome = try await ProgressReporter.reporting("embedding \(url.lastPathComponent)") {
                try await services.customerService.importKnowledgeBase(data, fileName: url.lastPathComponent)
            }
            logger.notice("\(outcome.message)")
        }
        if let seedTwins = seedTwins ?? demo?.twins {
            let created = try await services.twins.seed(try TwinSeed.uploads(manifest: URL(fileURLWithPath: seedTwins)))
            logger.notice("twins from \(seedTwins): \(created) made, the others were already there")
        }
        if let seedCustomers = seedCustomers ?? demo?.customers {
            let outcome = try await services.customers.seed(folder: URL(fileURLWithPath: seedCustomers))
            logger.notice("customers from \(seedCustomers): \(outcome.created) made, the others were already there")
            if !outcome.failed.isEmpty {
                logger.warning("no customer profile could be extracted, skipped: \(outcome.failed.joined(separator: ", "))")
            }
        }
        for material in seedMaterials.isEmpty ? demo?.salesMaterials ?? [] : seedMaterials {
            let url = URL(fileURLWithPath: material)
            _ = try await services.copilot.upload(try Data(contentsOf: url), fileName: url.lastPathComponent)
        }
        if let manifest = settings.demo {
            logger.notice(
                "offline demo: answers are replayed from the recording \(manifest.cassette); set DASHSCOPE_API_KEY (or LLM_MODE) to go live",
                metadata: ["url": "http://\(settings.server.host):\(settings.server.port)/"])
        }
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
