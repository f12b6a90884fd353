import Foundation

/// The embedded SQLite database: WAL, foreign keys, a busy timeout and versioned migrations,
/// with every access serialised through this actor.
public actor SQLiteDatabase {
    private let connection: SQLiteConnection
    /// Where the database lives (`:memory:` for tests).
    public nonisolated let path: String

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

    /// Runs `body` with the connection, outside a transaction.
    public func read<T: Sendable>(_ body: @Sendable (SQLiteConnection) throws -> T) throws -> T {
        try body(connection)
    }

    /// Runs `body` in one transaction: all of it is stored, or none.
    @discardableResult
    public func write<T: Sendable>(_ body: @Sendable (SQLiteConnection) throws -> T) throws -> T {
        try connection.transaction { try body(connection) }
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
