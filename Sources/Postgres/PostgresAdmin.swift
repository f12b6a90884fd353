import Foundation
import Logging
import PostgresNIO

/// Statements that run outside any store: creating a database (tests give every store its own).
public enum PostgresAdmin {
    /// Creates `database` on the server `url` names (connecting to `url`'s own database to do so).
    public static func createDatabase(_ database: String, on url: PostgresURL, logger: Logger = Logger(label: "vividcrowd.postgres")) async throws {
        guard database.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
            throw PostgresStoreError.invalidURL("a database name of letters, digits and _ only")
        }
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(
                configuration: try url.connectionConfiguration(), id: 0, logger: logger)
        } catch {
            logger.error("PostgreSQL unavailable", metadata: ["store": "\(url)", "error": "\(String(reflecting: error))"])
            throw PostgresStoreError.unavailable(url.description)
        }
        do {
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(database)"), logger: logger)
            try await connection.close()
        } catch {
            try? await connection.close()
            throw error
        }
    }
}
