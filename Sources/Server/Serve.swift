import ArgumentParser
import Foundation
import Hummingbird
import Logging
import VividCrowdCore

/// Runs the HTTP server until interrupted.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start the server (HOST:PORT, default 127.0.0.1:8000): REST, WebSocket and the web page at /.")

    @Option(help: "The .env file to read before the process environment.")
    var envFile = ".env"

    @Option(help: "Listen on this port instead of PORT (0 picks a free one).")
    var port: Int?

    @Option(help: "Directory holding jieba/ (the segmentation dictionaries).")
    var corpora = "corpora"

    @Option(help: "Import this knowledge-base CSV at start-up (a file already imported unchanged is a no-op).")
    var importCSV: String?

    func run() async throws {
        var settings = try VividCrowdConfiguration.load(dotEnvPath: envFile)
        if let port { settings.server.port = port }
        LoggingSetup.bootstrap(settings)
        let logger = Logger(label: "vividcrowd.server")
        let services = try await ServerServices.start(settings, corpora: URL(fileURLWithPath: corpora), logger: logger)
        if let importCSV {
            let url = URL(fileURLWithPath: importCSV)
            let outcome = try await services.customerService.importKnowledgeBase(
                try Data(contentsOf: url), fileName: url.lastPathComponent)
            logger.notice("\(outcome.message)")
        }
        let app = Routes.application(services, host: settings.server.host, port: settings.server.port, logger: logger)
        try await app.runService()
        try await services.llm.shutdown()
    }
}
