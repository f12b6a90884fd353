import ArgumentParser
import Foundation
import Logging
import VividCrowdCore

/// Validates the configuration and prints it with secrets hidden.
struct ShowConfiguration: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Validate the environment and .env settings and print them, secrets hidden.")

    @Option(help: "The .env file to read before the process environment.")
    var envFile = ".env"

    func run() async throws {
        let settings = try VividCrowdConfiguration.load(dotEnvPath: envFile)
        let width = settings.summary.map(\.0.count).max() ?? 0
        for (name, value) in settings.summary {
            print(name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + value)
        }
    }
}

/// Creates or upgrades the database schema.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create or upgrade the embedded database and print its schema version.")

    @Option(help: "The .env file to read before the process environment.")
    var envFile = ".env"

    func run() async throws {
        let settings = try VividCrowdConfiguration.load(dotEnvPath: envFile)
        let database = try SQLiteDatabase.open(settings.storage)
        print("database \(database.path) at schema version \(try await database.schemaVersion)")
    }
}

/// Imports a knowledge-base CSV into the customer-service store, as the upload endpoint does.
struct ImportKnowledgeBase: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-kb",
        abstract: "Import a 5-column knowledge-base CSV (the same file again is a no-op; a changed one replaces its rows).",
        discussion: "Example: LLM_MODE=replay CASSETTE_NAME=customer-service vividcrowd-server import-kb corpora/seed/qa.csv")

    @Argument(help: "The CSV file.")
    var file: String

    @Option(help: "The .env file to read before the process environment.")
    var envFile = ".env"

    @Option(help: "Directory holding jieba/ (the segmentation dictionaries).")
    var corpora = "corpora"

    func run() async throws {
        let settings = try VividCrowdConfiguration.load(dotEnvPath: envFile)
        LoggingSetup.bootstrap(settings)
        let services = try await ServerServices.start(
            settings, corpora: URL(fileURLWithPath: corpora), logger: Logger(label: "vividcrowd.import"))
        let url = URL(fileURLWithPath: file)
        do {
            let outcome = try await services.customerService.importKnowledgeBase(
                try Data(contentsOf: url), fileName: url.lastPathComponent)
            try await services.llm.shutdown()
            print(outcome.message)
        } catch {
            try? await services.llm.shutdown()
            throw ValidationError("\(url.lastPathComponent): \(error); nothing was imported")
        }
    }
}
