import ArgumentParser
import VividCrowdCore
import VividCrowdPostgres

/// Validates the configuration and prints it with secrets hidden.
struct ShowConfiguration: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Validate the environment and .env settings and print them, secrets hidden.")

    @Option(help: "The .env file to read before the process environment.")
    var envFile = ".env"

    func run() async throws {
        let settings = try VividCrowdConfiguration.load(dotEnvPath: envFile, allowsDemo: true)
        let width = settings.summary.map(\.0.count).max() ?? 0
        for (name, value) in settings.summary {
            print(name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + value)
        }
    }
}

/// Creates or upgrades the database schema.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create or upgrade the store DATABASE_URL names and print its schema version.")

    @Option(help: "The .env file to read before the process environment.")
    var envFile = ".env"

    func run() async throws {
        let store = try StoreCommandSupport.openStore(envFile: envFile)
        var line = "store \(store.location) at schema version \(try await store.schemaVersion())"
        if let postgres = store as? PostgresStore {
            let details = try await PostgresAdmin.connectionDetails(postgres.backend.url)
            line += " (PostgreSQL \(details.serverVersion), TLS \(details.tls ? "on" : "off"))"
        }
        print(line)
        try await store.close()
    }
}
