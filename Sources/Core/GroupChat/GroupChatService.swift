import Foundation

/// The group-chat mode: one roster of personas, one router, and the rooms (one per connection unless named).
public actor GroupChatService {
    public nonisolated let personas: [Persona]
    public nonisolated let policy: GroupChatPolicy
    private let embedder: CachingEmbedder
    private let llm: LLMClient
    private let conversations: any ConversationStore
    private let broadcast: any RoomBroadcast
    private let clock: any Clock<Duration>
    private let date: @Sendable () -> Date
    private let seed: UInt64
    private var router: Task<GroupChatRouter, any Error>?
    private var rooms: [String: GroupChatRoom] = [:]
    private var roomsCreated: UInt64 = 0

    public init(
        personas: [Persona], policy: GroupChatPolicy, embedder: CachingEmbedder, llm: LLMClient,
        conversations: any ConversationStore, broadcast: any RoomBroadcast = LocalRoomBroadcast(),
        clock: any Clock<Duration> = ContinuousClock(), date: @escaping @Sendable () -> Date = Date.init, seed: UInt64 = 42
    ) {
        self.broadcast = broadcast
        self.personas = personas
        self.policy = policy
        self.embedder = embedder
        self.llm = llm
        self.conversations = conversations
        self.clock = clock
        self.date = date
        self.seed = seed
    }

    /// The service over a persona file and the store's embedding cache, with the configured knobs.
    public static func make(
        personasFile: URL, store: any VividCrowdStore, llm: LLMClient, configuration: VividCrowdConfiguration,
        clock: any Clock<Duration> = ContinuousClock(), date: @escaping @Sendable () -> Date = Date.init
    ) throws -> GroupChatService {
        let data: Data
        do {
            data = try Data(contentsOf: personasFile)
        } catch {
            throw PersonaError(file: personasFile.path, reason: "cannot be read (\(error.localizedDescription))")
        }
        let personas = try PersonaLoader.load(data, file: personasFile.lastPathComponent)
        return GroupChatService(
            personas: personas, policy: GroupChatPolicy(configuration.groupChat),
            embedder: CachingEmbedder(client: llm, cache: store.embeddings), llm: llm, conversations: store.conversations,
            broadcast: store.rooms, clock: clock, date: date)
    }

    /// The room called `name`, opened on first use with the history the store holds for it; nil makes a private
    /// room.
    public func room(named name: String? = nil) async throws -> GroupChatRoom {
        if let name, let room = rooms[name] { return room }
        let router = try await currentRouter()
        let id = name.map { "room:\($0)" } ?? "private:\(UUID().uuidString.lowercased())"
        _ = try await conversations.openSession(id: id, mode: .groupChat, at: date())
        // A private room is new by construction; only a named one can have a history to continue.
        let history = name == nil ? [] : try await conversations.lines(sessionID: id, limit: GroupChatRoom.defaultHistoryLimit)
        // Checked again after the awaits: a concurrent caller may have opened the same room meanwhile.
        if let name, let room = rooms[name] { return room }
        roomsCreated += 1
        let room = GroupChatRoom(
            id: id, router: router, conversations: conversations,
            history: history.map { GroupChatLine(sender: $0.sender, text: $0.text) }, clock: clock, date: date,
            seed: seed &+ roomsCreated, broadcast: name == nil ? nil : broadcast)
        if let name { rooms[name] = room }
        return room
    }

    private func currentRouter() async throws -> GroupChatRouter {
        if let router { return try await router.value }
        let (personas, embedder, policy, llm) = (self.personas, self.embedder, self.policy, self.llm)
        let build = Task {
            GroupChatRouter(
                index: try await PersonaIndex.build(personas, embedder: embedder), policy: policy, embedder: embedder,
                llm: llm)
        }
        router = build
        do {
            return try await build.value
        } catch {
            router = nil
            throw error
        }
    }
}
