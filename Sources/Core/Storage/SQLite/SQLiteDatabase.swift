import Foundation
import Synchronization

/// The embedded SQLite database: WAL, foreign keys, a busy timeout and versioned migrations. Writes are serialised
/// through this actor's connection; reads of a database file go to connections of their own, which WAL lets read
/// while a write is under way (one connection for everything made every question of a loaded server queue behind
/// every other's turn being stored).
public actor SQLiteDatabase {
    private let connection: SQLiteConnection
    /// Where the database lives (`:memory:` for tests).
    public nonisolated let path: String
    /// Read-only connections, taken in turn; empty for an in-memory database, which only its own connection sees.
    private nonisolated let readers: [SQLiteReader]
    private nonisolated let nextReader = Atomic<Int>(0)

    /// Opens the database file and brings its schema up to date.
    public init(path: String, migrations: [Migration] = SQLiteMigrations.all) throws {
        if path != ":memory:" {
            try FileManager.default.createDirectory(
                at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
        }
        let connection = try SQLiteConnection(path: path)
        try connection.execute(
            """
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = NORMAL;
            PRAGMA foreign_keys = ON;
            PRAGMA busy_timeout = 5000;
            """)
        try Self.migrate(connection, to: migrations)
        self.connection = connection
        self.path = path
        let readerCount = path == ":memory:" ? 0 : min(4, max(1, ProcessInfo.processInfo.activeProcessorCount))
        self.readers = try (0..<readerCount).map { _ in try SQLiteReader(path: path) }
    }

    /// The schema version the database is at.
    public var schemaVersion: Int {
        get throws { try connection.query("PRAGMA user_version").first?.first?.int ?? 0 }
    }

    /// Writes a consistent copy to `path` through a temporary file beside it, renamed into place once complete.
    public func backup(to path: String) throws {
        guard !FileManager.default.fileExists(atPath: path) else { throw StoreError.backupExists(path: path) }
        let partial = path + ".partial"
        try? FileManager.default.removeItem(atPath: partial)
        do {
            try connection.backup(to: partial)
            try FileManager.default.moveItem(atPath: partial, toPath: path)
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            throw error
        }
    }

    /// Runs `body` on a read-only connection, on one snapshot of the database (what every write committed before
    /// it began).
    public nonisolated func read<T: Sendable>(_ body: @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        guard !readers.isEmpty else { return try await readOnWriter(body) }
        let turn = nextReader.add(1, ordering: .relaxed).oldValue
        return try await readers[turn % readers.count].read(body)
    }

    /// Empties every connection's page cache (`PRAGMA shrink_memory`): an import leaves the writer's full.
    public func releaseCaches() async {
        _ = try? connection.execute("PRAGMA shrink_memory")
        for reader in readers { await reader.releaseCache() }
    }

    /// Bytes the connections' page caches hold now.
    public func cacheBytes() async -> Int {
        var total = connection.cacheBytes
        for reader in readers { total += await reader.cacheBytes }
        return total
    }

    private func readOnWriter<T: Sendable>(_ body: @Sendable (SQLiteConnection) throws -> T) throws -> T {
        try body(connection)
    }

    /// Runs `body` in a transaction: all of it is stored, or none, and it has been committed when this returns.
    ///
    /// Writes that arrive while others wait are committed together (group commit): each runs in a savepoint of one
    /// transaction, so one that throws is rolled back alone and its caller gets the error, while the others are
    /// committed at once. A commit is the expensive part of a small write (locks, the write-ahead log's frames), and a
    /// loaded server stores many small turns.
    @discardableResult
    public func write<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let outcome = WriteOutcome<T>()
            pending.append(PendingWrite(
                run: { connection in
                    outcome.result = Result { try body(connection) }
                    if case .failure = outcome.result { return false }
                    return true
                },
                finish: { commitFailure in
                    // A write that threw keeps its own error, even when its error also undid the whole group.
                    if case .failure(let own)? = outcome.result {
                        continuation.resume(throwing: own)
                    } else if let commitFailure {
                        continuation.resume(throwing: commitFailure)
                    } else {
                        continuation.resume(with: outcome.result!)
                    }
                }))
            if !draining {
                draining = true
                // Runs on this actor after the current job, so writes that arrive meanwhile join the group.
                Task { self.drainWrites() }
            }
        }
    }

    /// Writes waiting for the next group commit.
    private var pending: [PendingWrite] = []
    private var draining = false

    private struct PendingWrite {
        /// Runs the write; false when it threw.
        let run: (SQLiteConnection) -> Bool
        /// Called after the commit: nil when it committed (each write's own result then stands), else its error.
        let finish: ((any Error)?) -> Void
    }

    /// Commits every waiting write in one transaction, until none waits.
    private func drainWrites() {
        while !pending.isEmpty {
            let batch = pending
            pending.removeAll(keepingCapacity: true)
            do {
                try connection.transaction {
                    for write in batch {
                        try connection.query("SAVEPOINT write")
                        // A write that threw is undone alone; RELEASE then ends its savepoint either way.
                        if !write.run(connection) { try connection.query("ROLLBACK TO write") }
                        try connection.query("RELEASE write")
                    }
                }
                for write in batch { write.finish(nil) }
            } catch {
                for write in batch { write.finish(error) }
            }
        }
        draining = false
    }

    private static func migrate(_ connection: SQLiteConnection, to migrations: [Migration]) throws {
        let current = try connection.query("PRAGMA user_version").first?.first?.int ?? 0
        let known = migrations.map(\.version).max() ?? 0
        guard current <= known else { throw StoreError.schemaTooNew(found: current, known: known) }
        for migration in migrations.sorted(by: { $0.version < $1.version }) where migration.version > current {
            try connection.transaction {
                try connection.execute(migration.sql)
                try connection.execute("PRAGMA user_version = \(migration.version)")
            }
        }
    }
}

/// One read-only connection to a database file, used by one read at a time.
actor SQLiteReader {
    private let connection: SQLiteConnection

    init(path: String) throws {
        connection = try SQLiteConnection(path: path)
        // Its own page cache is small: the writer's holds what was written, and the rest is in the system's.
        try connection.execute(
            """
            PRAGMA query_only = ON;
            PRAGMA foreign_keys = ON;
            PRAGMA busy_timeout = 5000;
            PRAGMA cache_size = -512;
            """)
    }

    func read<T: Sendable>(_ body: @Sendable (SQLiteConnection) throws -> T) throws -> T {
        try connection.snapshot { try body(connection) }
    }

    func releaseCache() { _ = try? connection.execute("PRAGMA shrink_memory") }

    var cacheBytes: Int { connection.cacheBytes }
}

/// The result of one write in a group commit, set while it runs and read once the group has committed.
private final class WriteOutcome<T>: @unchecked Sendable {
    var result: Result<T, any Error>?
}
