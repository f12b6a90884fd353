import Foundation

/// The embedded default: one SQLite file (WAL) holding every mode's tables.
public struct SQLiteStore: VividCrowdStore {
    public let database: SQLiteDatabase
    public let customerService: any CustomerServiceStore
    public let embeddings: any EmbeddingCache
    public let conversations: any ConversationStore
    public let twins: any TwinStore
    public let customers: any CustomerStore
    public let training: any TrainingStore
    public let salesMaterials: any SalesMaterialStore
    /// Rooms broadcast within this process: processes sharing one SQLite file share history and daily counts,
    /// not live events (PostgreSQL does that).
    public let rooms: any RoomBroadcast = LocalRoomBroadcast()
    public var location: String { "sqlite:\(database.path)" }

    /// Empties the connections' page caches (pages written or read since they were last emptied).
    public func releaseIdleMemory() async { await database.releaseCaches() }

    /// Opens (creating and migrating) the database at `path`; `:memory:` for a private in-memory database.
    public init(path: String) throws {
        try self.init(database: SQLiteDatabase(path: path))
    }

    /// A store over an open database.
    public init(database: SQLiteDatabase) {
        self.database = database
        self.customerService = SQLiteCustomerServiceStore(database: database)
        self.embeddings = SQLiteEmbeddingCache(database: database)
        self.conversations = SQLiteConversationStore(database: database)
        self.twins = SQLiteTwinStore(database: database)
        self.customers = SQLiteCustomerStore(database: database)
        self.training = SQLiteTrainingStore(database: database)
        self.salesMaterials = SQLiteSalesMaterialStore(database: database)
    }

    public func schemaVersion() async throws -> Int { try await database.schemaVersion }

    public func backup(to path: String) async throws { try await database.backup(to: path) }

    public func prune(before date: Date) async throws -> PruneCounts {
        let (time, day) = (date.timeIntervalSince1970, PruneCounts.day(of: date))
        return try await database.write { connection in
            var counts = PruneCounts()
            try connection.query("DELETE FROM conversation_turns WHERE created_at < ?", [.real(time)])
            counts.transcriptLines = connection.changes
            // A session's turns and its conversation go with it, newer lines included.
            let old = "SELECT id FROM customer_service_sessions WHERE created_at < ?"
            try connection.query("DELETE FROM conversation_sessions WHERE id IN (\(old))", [.real(time)])
            try connection.query("DELETE FROM customer_service_sessions WHERE created_at < ?", [.real(time)])
            counts.customerServiceSessions = connection.changes
            try connection.query("DELETE FROM twin_messages WHERE created_at < ?", [.real(time)])
            counts.twinMessages = connection.changes
            try connection.query("DELETE FROM daily_counts WHERE day < ?", [.text(day)])
            counts.dailyCounts = connection.changes
            return counts
        }
    }

    /// SQLite closes its connection when the last reference goes; nothing to wait for.
    public func close() async throws {}
}
