import ArgumentParser
import Foundation
import VividCrowdCore
import VividCrowdPostgres

/// Writes a consistent copy of the embedded database to a new file while the server keeps running.
struct Backup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy the SQLite store to a new file, consistently, while servers keep using it.",
        discussion: """
            Uses SQLite's online backup API and writes through a temporary file, so PATH is either the whole copy or
            absent. PostgreSQL is backed up with pg_dump (the error says the line); restore a SQLite copy by stopping
            the server and putting it in place of DATABASE_PATH/vividcrowd.sqlite.
            """)

    @Argument(help: "The new file to write (it must not exist).")
    var path: String

    @Option(help: "The .env file to read before the process environment.")
    var envFile = ".env"

    func run() async throws {
        let store = try StoreCommandSupport.openStore(envFile: envFile)
        do {
            try await store.backup(to: path)
        } catch let error as StoreError {
            try? await store.close()
            throw ValidationError(error.description)
        }
        let bytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        print("backed up \(store.location) to \(path) (\(bytes) bytes)")
        try await store.close()
    }
}

/// Deletes conversations older than a retention period (the original's 30-day advice, as a command).
struct Prune: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Delete conversations older than a retention period: sessions, transcripts, twin messages.",
        discussion: """
            Deletes customer-service sessions created before the cutoff (with their turns and ratings, so the
            statistics then count the sessions kept), transcript lines and twin messages written before it, and
            group chat's daily counts of earlier days. Knowledge bases, calibrations, twins, customers, training
            sessions and their reports stay. One transaction: all of it or nothing.
            """)

    @Option(name: .customLong("older-than"), help: "The retention period: a number of days (30d) or hours (12h).")
    var olderThan: RetentionPeriod

    @Option(help: "The .env file to read before the process environment.")
    var envFile = ".env"

    func run() async throws {
        let store = try StoreCommandSupport.openStore(envFile: envFile)
        let cutoff = Date().addingTimeInterval(-olderThan.seconds)
        let counts = try await store.prune(before: cutoff)
        print(
            "pruned \(store.location) before \(ISO8601DateFormatter().string(from: cutoff)): "
                + "\(counts.customerServiceSessions) customer-service sessions, \(counts.transcriptLines) transcript lines, "
                + "\(counts.twinMessages) twin messages, \(counts.dailyCounts) daily counts")
        try await store.close()
    }
}

/// A retention period on the command line: `30d` or `12h`, from 1 hour to 100 years.
struct RetentionPeriod: ExpressibleByArgument, Sendable {
    let seconds: TimeInterval

    init?(argument: String) {
        let unit = argument.last
        guard let unit, let amount = Int(argument.dropLast()), amount > 0 else { return nil }
        switch unit {
        case "d" where amount <= 36_500: seconds = Double(amount) * 86_400
        case "h" where amount <= 876_000: seconds = Double(amount) * 3_600
        default: return nil
        }
    }
}

/// What the store commands share: the configuration, logging as configured, and the store it names.
enum StoreCommandSupport {
    static func openStore(envFile: String) throws -> any VividCrowdStore {
        let settings = try VividCrowdConfiguration.load(dotEnvPath: envFile)
        LoggingSetup.bootstrap(settings)
        return try StoreFactory.open(settings.storage, openers: [PostgresStoreOpener()])
    }
}
