import Foundation
import ServiceLifecycle

/// Everything VividCrowd keeps, behind one seam: each mode's store and the embedding cache, from one backend.
/// It runs as a service in the server's service group, so a backend with connections (PostgreSQL) opens and
/// closes them with the process.
public protocol VividCrowdStore: Service {
    /// The backend and where it is, for logs and `/health` (credentials masked).
    var location: String { get }
    /// Customer service's knowledge base, sessions and turns.
    var customerService: any CustomerServiceStore { get }
    /// Embedding vectors, keyed by model, input type and text.
    var embeddings: any EmbeddingCache { get }
    /// Sessions and transcripts of every mode.
    var conversations: any ConversationStore { get }
    /// Digital twins: their documents' chunks and vectors, profiles and conversations.
    var twins: any TwinStore { get }
    /// Sales training's simulated customers.
    var customers: any CustomerStore { get }
    /// Sales training's sessions.
    var training: any TrainingStore { get }
    /// Sales training's copilot materials.
    var salesMaterials: any SalesMaterialStore { get }
    /// Named group-chat rooms' live events: within this process, or across every instance on a shared server.
    var rooms: any RoomBroadcast { get }
    /// The last migration applied (0 for a backend without migrations).
    func schemaVersion() async throws -> Int
    /// Writes a consistent copy of everything to a new file at `path`, atomically (a backend whose backups are
    /// another tool's job says which).
    func backup(to path: String) async throws
    /// Deletes conversations older than `date`: customer-service sessions created before it (with their turns and
    /// ratings), transcript lines, twin messages and daily counts from before it; knowledge bases, twins, customers,
    /// training sessions and their reports stay.
    func prune(before date: Date) async throws -> PruneCounts
    /// Releases connections; the store is not used afterwards.
    func close() async throws
    /// Frees what the store caches in this process and can read again, for a process going idle.
    func releaseIdleMemory() async
}

extension VividCrowdStore {
    /// Nothing cached: a backend whose caches live in its server.
    public func releaseIdleMemory() async {}

    /// Waits for the service group to shut down, then closes the store.
    public func run() async throws {
        try? await gracefulShutdown()
        try await close()
    }
}

/// What a prune deleted.
public struct PruneCounts: Sendable, Equatable, Codable {
    public var customerServiceSessions: Int
    public var transcriptLines: Int
    public var twinMessages: Int
    public var dailyCounts: Int

    public init(customerServiceSessions: Int = 0, transcriptLines: Int = 0, twinMessages: Int = 0, dailyCounts: Int = 0) {
        self.customerServiceSessions = customerServiceSessions
        self.transcriptLines = transcriptLines
        self.twinMessages = twinMessages
        self.dailyCounts = dailyCounts
    }

    /// The day (UTC) a prune before `date` keeps daily counts from.
    public static func day(of date: Date) -> String { CountingDay.key(of: date, in: TimeZone(identifier: "UTC")!) }
}

/// A backend that lives in its own module (PostgreSQL), offered to `StoreFactory` by the executables that link it.
public protocol StoreOpener: Sendable {
    /// The URL schemes it opens ("postgres", "postgresql").
    var schemes: [String] { get }
    /// The URL form, for error messages ("postgres://USER:PASSWORD@HOST:PORT/DB").
    var usage: String { get }
    /// Opens the store a URL of one of `schemes` names, with the pool size and timeout of `storage`; its errors never
    /// show the password.
    func open(url: String, storage: VividCrowdConfiguration.Storage) throws -> any VividCrowdStore
}

/// Opens the store `DATABASE_URL` names, by scheme.
public enum StoreFactory {
    /// The schemes every build opens.
    public static let supportedSchemes = ["sqlite:PATH", "memory:"]

    /// The schemes a build with `openers` opens.
    public static func supportedSchemes(with openers: [any StoreOpener]) -> [String] {
        supportedSchemes + openers.map(\.usage)
    }

    /// `DATABASE_URL=sqlite:PATH` (or `sqlite://PATH`), `memory:` (nothing kept; for tests and throwaway runs), a URL
    /// one of `openers` takes, or, without a URL, `DATABASE_PATH/vividcrowd.sqlite`.
    public static func open(
        _ storage: VividCrowdConfiguration.Storage, openers: [any StoreOpener] = []
    ) throws -> any VividCrowdStore {
        guard let url = storage.databaseURL else {
            return try SQLiteStore(
                path: URL(fileURLWithPath: storage.databasePath).appendingPathComponent("vividcrowd.sqlite").path)
        }
        let scheme = url.prefix { $0 != ":" }.lowercased()
        switch scheme {
        case "sqlite":
            var path = String(url.dropFirst("sqlite:".count))
            if path.hasPrefix("//") { path = String(path.dropFirst(2)) }
            return try SQLiteStore(path: path)
        case "memory":
            return InMemoryStore()
        default:
            guard let opener = openers.first(where: { $0.schemes.contains(scheme) }) else {
                throw StoreError.unsupportedURL(scheme: scheme, supported: supportedSchemes(with: openers))
            }
            return try opener.open(url: url, storage: storage)
        }
    }
}
