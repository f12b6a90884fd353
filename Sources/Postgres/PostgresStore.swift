import Foundation
import Logging
import VividCrowdCore

/// Every mode's data in PostgreSQL (`DATABASE_URL=postgres://…`), shared by any number of server instances.
/// It runs as a service in the server's service group: the pool closes when the group shuts down.
public struct PostgresStore: VividCrowdStore {
    public let backend: PostgresBackend
    public let customerService: any CustomerServiceStore
    public let embeddings: any EmbeddingCache
    public let conversations: any ConversationStore
    public let twins: any TwinStore
    public let customers: any CustomerStore
    public let training: any TrainingStore
    public let salesMaterials: any SalesMaterialStore
    public var rooms: any RoomBroadcast { roomBroadcast }
    /// Named rooms across instances, through LISTEN/NOTIFY.
    public let roomBroadcast: PostgresRoomBroadcast
    public var location: String { backend.location }

    /// A store on `url`'s database; it connects and migrates on first use. A statement that waits `leaseTimeout`
    /// for a connection fails as unavailable.
    public init(
        url: PostgresURL, maximumConnections: Int = 20, leaseTimeout: Duration = .seconds(5),
        logger: Logger = Logger(label: "vividcrowd.postgres")
    ) throws {
        let backend = try PostgresBackend(
            url: url, maximumConnections: maximumConnections, leaseTimeout: leaseTimeout, logger: logger)
        self.backend = backend
        self.customerService = PostgresCustomerServiceStore(backend: backend)
        self.embeddings = PostgresEmbeddingCache(backend: backend)
        self.conversations = PostgresConversationStore(backend: backend)
        self.twins = PostgresTwinStore(backend: backend)
        self.customers = PostgresCustomerStore(backend: backend)
        self.training = PostgresTrainingStore(backend: backend)
        self.salesMaterials = PostgresSalesMaterialStore(backend: backend)
        self.roomBroadcast = PostgresRoomBroadcast(backend: backend)
    }

    public func schemaVersion() async throws -> Int { try await backend.schemaVersion() }

    /// PostgreSQL is backed up with its own tools, which also restore it.
    public func backup(to path: String) async throws {
        throw StoreError.backupElsewhere(
            hint: "the PostgreSQL store is backed up with pg_dump: pg_dump --format=custom --file=\(path) \"$DATABASE_URL\" (restore with pg_restore)")
    }

    public func prune(before date: Date) async throws -> PruneCounts {
        let (time, day) = (date.timeIntervalSince1970, PruneCounts.day(of: date))
        let logger = backend.logger
        return try await backend.write { connection in
            var counts = PruneCounts()
            counts.transcriptLines = try await connection.run(
                "DELETE FROM conversation_turns WHERE created_at < \(time) RETURNING 1", logger: logger)
            // A session's turns and its conversation go with it, newer lines included.
            try await connection.run(
                """
                DELETE FROM conversation_sessions WHERE id IN
                    (SELECT id FROM customer_service_sessions WHERE created_at < \(time))
                """, logger: logger)
            counts.customerServiceSessions = try await connection.run(
                "DELETE FROM customer_service_sessions WHERE created_at < \(time) RETURNING 1", logger: logger)
            counts.twinMessages = try await connection.run(
                "DELETE FROM twin_messages WHERE created_at < \(time) RETURNING 1", logger: logger)
            counts.dailyCounts = try await connection.run(
                "DELETE FROM daily_counts WHERE day < \(day) RETURNING 1", logger: logger)
            return counts
        }
    }

    public func close() async throws {
        await roomBroadcast.stop()
        await backend.shutdown()
    }
}

/// Opens `postgres://` and `postgresql://` URLs for `StoreFactory`, with `DATABASE_POOL_SIZE` connections at most
/// and `DATABASE_TIMEOUT` seconds of waiting for one.
public struct PostgresStoreOpener: StoreOpener {
    public var schemes: [String] { ["postgres", "postgresql"] }
    public var usage: String { "postgres://USER:PASSWORD@HOST:PORT/DB[?sslmode=disable|prefer|require|verify-ca|verify-full]" }
    public let logger: Logger

    public init(logger: Logger = Logger(label: "vividcrowd.postgres")) {
        self.logger = logger
    }

    public func open(url: String, storage: VividCrowdConfiguration.Storage) throws -> any VividCrowdStore {
        try PostgresStore(
            url: PostgresURL(url), maximumConnections: storage.poolSize,
            leaseTimeout: .milliseconds(Int(storage.connectionTimeout * 1000)), logger: logger)
    }
}
