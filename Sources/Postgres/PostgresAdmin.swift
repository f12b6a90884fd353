import Foundation
import Logging
import PostgresNIO

/// Statements that run outside any store: creating a database (tests give every store its own), and what a
/// connection looks like from the server's side.
public enum PostgresAdmin {
    /// The server's version and whether a connection made as `url` says is encrypted (from `pg_stat_ssl`).
    public static func connectionDetails(
        _ url: PostgresURL, logger: Logger = Logger(label: "vividcrowd.postgres")
    ) async throws -> (serverVersion: String, tls: Bool) {
        let connection = try await connect(url, logger: logger)
        defer { Task { try? await connection.close() } }
        let rows = try await connection.query(
            "SELECT current_setting('server_version'), ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", logger: logger
        ).collect()
        guard let (version, tls) = try rows.first?.decode((String, Bool).self) else { return ("unknown", false) }
        return (version, tls)
    }

    /// Creates `database` on the server `url` names (connecting to `url`'s own database to do so).
    public static func createDatabase(_ database: String, on url: PostgresURL, logger: Logger = Logger(label: "vividcrowd.postgres")) async throws {
        guard database.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
            throw PostgresStoreError.invalidURL("a database name of letters, digits and _ only")
        }
        let connection = try await connect(url, logger: logger)
        do {
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(database)"), logger: logger)
            try await connection.close()
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// One connection as `url` says; a failure is `unavailable`, its cause in the log.
    private static func connect(_ url: PostgresURL, logger: Logger) async throws -> PostgresConnection {
        do {
            return try await PostgresConnection.connect(configuration: try url.connectionConfiguration(), id: 0, logger: logger)
        } catch {
            logger.error("PostgreSQL unavailable", metadata: ["store": "\(url)", "error": "\(String(reflecting: error))"])
            throw PostgresStoreError.unavailable(url.description)
        }
    }
}
