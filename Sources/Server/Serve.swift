import ArgumentParser
import Hummingbird
import Logging
import VividCrowdCore

/// Runs the HTTP server until interrupted.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start the server (HOST:PORT, default 127.0.0.1:8000).")

    @Option(help: "The .env file to read before the process environment.")
    var envFile = ".env"

    @Option(help: "Listen on this port instead of PORT (0 picks a free one).")
    var port: Int?

    func run() async throws {
        var settings = try VividCrowdConfiguration.load(dotEnvPath: envFile)
        if let port { settings.server.port = port }
        LoggingSetup.bootstrap(settings)
        let logger = Logger(label: "vividcrowd.server")
        let services = try await ServerServices.start(settings, logger: logger)
        let app = Application(
            router: Routes.build(services),
            configuration: .init(address: .hostname(settings.server.host, port: settings.server.port)),
            onServerRunning: { channel in
                logger.notice("VividCrowd listening", metadata: ["address": "\(channel.localAddress?.description ?? "?")"])
            },
            logger: logger)
        try await app.runService()
        try await services.llm.shutdown()
    }
}
