import Foundation
import Logging
import PostgresNIO
import Synchronization
import VividCrowdCore

/// The connection pool every PostgreSQL sub-store shares: it runs the client, brings the schema up to date before
/// the first statement (retrying after a failure, so a server that comes back is used again), and turns connection
/// failures into `PostgresStoreError.unavailable` with the details in the log.
public final class PostgresBackend: Sendable {
    let client: PostgresClient
    /// Where the store is, password masked.
    public let location: String
    /// The URL it was opened with (its description masks the password).
    public let url: PostgresURL
    let logger: Logger
    /// How long a statement waits for a connection before the store is reported unavailable (the pool keeps
    /// reconnecting meanwhile, so the next statement after the server is back succeeds).
    let leaseTimeout: Duration
    private let running: Task<Void, Never>
    private let schema: SchemaGate

    /// Starts a pool for `url` of at most `maximumConnections`; nothing connects until the first statement.
    public init(url: PostgresURL, maximumConnections: Int = 20, leaseTimeout: Duration = .seconds(5), logger: Logger) throws {
        var configuration = try url.clientConfiguration()
        configuration.options.maximumConnections = max(1, maximumConnections)
        configuration.options.connectTimeout = .seconds(5)
        configuration.options.connectionIdleTimeout = .seconds(30)
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        self.location = url.description
        self.url = url
        self.logger = logger
        self.leaseTimeout = leaseTimeout
        self.running = Task { await client.run() }
        self.schema = SchemaGate()
    }

    deinit { running.cancel() }

    /// Stops the pool; statements afterwards fail.
    func shutdown() async {
        running.cancel()
        await running.value
    }

    /// The schema version, after migrating if this process has not yet.
    func schemaVersion() async throws -> Int {
        try await schema.ensure {
            try await self.leased { connection in try await PostgresMigrations.apply(connection, logger: self.logger) }
        }
    }

    /// Runs `body` with a pooled connection, outside a transaction.
    func read<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        _ = try await schemaVersion()
        return try await leased(body)
    }

    /// Runs `body` in one transaction: all of it is stored, or none. Errors `body` throws come out as they are.
    @discardableResult
    func write<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        _ = try await schemaVersion()
        let logger = logger
        return try await leased { connection in try await Self.transaction(connection, logger: logger, body) }
    }

    /// Runs `body` on a pooled connection; waiting longer than `leaseTimeout` for one, or losing the server, is
    /// `PostgresStoreError.unavailable` (details in the log), never a hang. Statement errors pass through.
    private func leased<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let client = client
        let acquired = LeaseFlag()
        let timeout = leaseTimeout
        do {
            return try await withThrowingTaskGroup(of: LeaseOutcome<T>.self) { group in
                group.addTask {
                    .value(try await client.withConnection { connection in
                        acquired.set()
                        return try await body(connection)
                    })
                }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return acquired.isSet ? .leased : .timedOut
                }
                while let outcome = try await group.next() {
                    switch outcome {
                    case .value(let value):
                        group.cancelAll()
                        return value
                    case .leased:
                        continue
                    case .timedOut:
                        group.cancelAll()
                        throw PostgresStoreError.unavailable(location)
                    }
                }
                throw PostgresStoreError.unavailable(location)
            }
        } catch let error as PSQLError where error.isUnavailability {
            logger.error("PostgreSQL unavailable", metadata: ["store": "\(location)", "error": "\(String(reflecting: error))"])
            throw PostgresStoreError.unavailable(location)
        } catch let error where String(describing: type(of: error)).hasPrefix("ConnectionPoolError") {
            // The pool's own error type is not public; it means no connection could be made.
            logger.error("PostgreSQL unavailable", metadata: ["store": "\(location)", "error": "\(String(reflecting: error))"])
            throw PostgresStoreError.unavailable(location)
        } catch PostgresStoreError.unavailable(let place) {
            logger.error("PostgreSQL unavailable", metadata: ["store": "\(place)", "error": "no connection within \(timeout)"])
            throw PostgresStoreError.unavailable(place)
        }
    }

    /// BEGIN, `body`, COMMIT; ROLLBACK and rethrow `body`'s own error when it fails (PostgresNIO's own helper wraps it).
    static func transaction<T: Sendable>(
        _ connection: PostgresConnection, logger: Logger, _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await connection.query("BEGIN", logger: logger)
        do {
            let value = try await body(connection)
            try await connection.query("COMMIT", logger: logger)
            return value
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
    }
}

/// What finished first while leasing: the statement, the moment a connection was leased, or the timeout.
private enum LeaseOutcome<T: Sendable>: Sendable { case value(T), leased, timedOut }

/// Set once a statement has its connection.
private final class LeaseFlag: Sendable {
    private let flag = Mutex(false)
    func set() { flag.withLock { $0 = true } }
    var isSet: Bool { flag.withLock { $0 } }
}

/// Remembers that the schema is up to date; after a failure the next caller tries again.
private actor SchemaGate {
    private var version: Int?
    private var inFlight: Task<Int, any Error>?

    func ensure(_ migrate: @escaping @Sendable () async throws -> Int) async throws -> Int {
        if let version { return version }
        let task = inFlight ?? Task { try await migrate() }
        inFlight = task
        do {
            let applied = try await task.value
            version = applied
            inFlight = nil
            return applied
        } catch {
            inFlight = nil
            throw error
        }
    }
}

extension PSQLError {
    /// No connection, refused credentials, a missing database or a server shutting down (SQLSTATE classes 08, 28,
    /// 3D, 57), as opposed to an error of the statement itself.
    var isUnavailability: Bool {
        guard let state = sqlState else { return true }
        return ["08", "28", "3D", "57"].contains(String(state.prefix(2)))
    }
}

extension PostgresConnection {
    /// Every row of a statement.
    func rows(_ query: PostgresQuery, logger: Logger) async throws -> [PostgresRow] {
        try await self.query(query, logger: logger).collect()
    }

    /// Runs a statement and returns how many rows it reported (statements end in `RETURNING 1` to count).
    @discardableResult
    func run(_ query: PostgresQuery, logger: Logger) async throws -> Int {
        try await self.query(query, logger: logger).collect().count
    }
}
