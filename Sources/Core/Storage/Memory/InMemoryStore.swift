import Foundation

/// A store that keeps everything in this process's memory (`DATABASE_URL=memory:`): for tests and throwaway runs.
public struct InMemoryStore: VividCrowdStore {
    public let customerService: any CustomerServiceStore
    public let embeddings: any EmbeddingCache
    public let conversations: any ConversationStore
    public let twins: any TwinStore
    public let customers: any CustomerStore
    public let training: any TrainingStore
    public let salesMaterials: any SalesMaterialStore
    public let rooms: any RoomBroadcast = LocalRoomBroadcast()
    public var location: String { "memory:" }

    private let memoryConversations: InMemoryConversationStore
    private let memoryCustomerService: InMemoryCustomerServiceStore
    private let memoryTwins: InMemoryTwinStore

    public init() {
        let conversations = InMemoryConversationStore()
        self.conversations = conversations
        memoryConversations = conversations
        memoryCustomerService = InMemoryCustomerServiceStore(conversations: conversations)
        customerService = memoryCustomerService
        embeddings = InMemoryEmbeddingCache()
        memoryTwins = InMemoryTwinStore()
        twins = memoryTwins
        customers = InMemoryCustomerStore()
        training = InMemoryTrainingStore()
        salesMaterials = InMemorySalesMaterialStore()
    }

    /// Memory has no schema to migrate.
    public func schemaVersion() async throws -> Int { 0 }

    /// Memory is gone with the process; there is nothing to back up.
    public func backup(to path: String) async throws {
        throw StoreError.backupElsewhere(hint: "DATABASE_URL=memory: keeps nothing to back up")
    }

    public func prune(before date: Date) async throws -> PruneCounts {
        var counts = PruneCounts()
        counts.transcriptLines = await memoryConversations.pruneLines(before: date)
        let sessions = await memoryCustomerService.pruneSessions(before: date)
        counts.customerServiceSessions = sessions.count
        await memoryConversations.remove(sessions)
        counts.twinMessages = await memoryTwins.pruneMessages(before: date)
        counts.dailyCounts = await memoryConversations.pruneDailyCounts(before: PruneCounts.day(of: date))
        return counts
    }

    public func close() async throws {}
}

/// A key a backend already holds.
public struct DuplicateKey: Error, CustomStringConvertible, Sendable {
    public let key: String

    public init(key: String) { self.key = key }

    public var description: String { "\(key) already exists" }
}

/// A row that refers to one that does not exist.
public struct MissingReference: Error, CustomStringConvertible, Sendable {
    public let reference: String
    public var description: String { "\(reference) does not exist" }
}

/// The customer-service store in memory, with the same semantics as the database backends.
public actor InMemoryCustomerServiceStore: CustomerServiceStore {
    private struct Registry {
        var record: RegistryRecord
        var importedAt: Date
        var order: Int
    }

    private var registry: [String: Registry] = [:]
    private var registrations = 0
    private var entries: [StoredQAEntry] = []
    private var nextEntryID = 1
    private var calibrations: [String: RetrievalCalibration] = [:]
    private var version = 0
    private var sessions: [String: SessionRecord] = [:]
    private var turnLogs: [String: [TurnLog]] = [:]
    private var allTurns: [TurnLog] = []
    private let conversations: InMemoryConversationStore

    /// A store whose sessions and turns also land in `conversations`.
    public init(conversations: InMemoryConversationStore = InMemoryConversationStore()) {
        self.conversations = conversations
    }

    public func corpusVersion() -> Int { version }

    public func registryRecord(fileName: String) -> RegistryRecord? { registry[fileName]?.record }

    public func registryRecord(md5: String) -> RegistryRecord? {
        registry.values.filter { $0.record.md5 == md5 }
            .min { ($0.importedAt, $0.order) < ($1.importedAt, $1.order) }?.record
    }

    public func replaceKnowledgeBase(
        fileName: String, md5: String, encoding: String, entries new: [KnowledgeEntry], keywords: [[String]],
        selfCalibration: SelfCalibrationUpdate?, at date: Date
    ) throws -> Int {
        try SelfCalibrationUpdate.checkAligned(entries: new.count, keywordLists: keywords.count)
        let removed = entries.filter { $0.sourceFile == fileName }.count
        entries.removeAll { $0.sourceFile == fileName }
        registrations += 1
        registry[fileName] = Registry(
            record: RegistryRecord(fileName: fileName, md5: md5, rowCount: new.count), importedAt: date, order: registrations)
        for (entry, words) in zip(new, keywords) {
            entries.append(StoredQAEntry(id: nextEntryID, sourceFile: fileName, entry: entry, keywords: words))
            nextEntryID += 1
        }
        if let update = selfCalibration, calibrations[update.embeddingModel]?.source != .labelled {
            calibrations[update.embeddingModel] = update.calibration
        }
        version += 1
        return removed
    }

    public func knowledgeEntries() -> [StoredQAEntry] { entries }

    public func knowledgeEntryCount() -> Int { entries.count }

    public func calibration(embeddingModel: String) -> RetrievalCalibration? { calibrations[embeddingModel] }

    public func storeCalibration(_ calibration: RetrievalCalibration, embeddingModel: String, at date: Date) {
        calibrations[embeddingModel] = calibration
        version += 1
    }

    public func createSession(id: String, at date: Date) async throws -> SessionRecord {
        guard sessions[id] == nil else { throw DuplicateKey(key: "session \(id)") }
        let record = SessionRecord(
            id: id, createdAt: date, messageCount: 0, rating: nil, ratingComment: nil, transferToHuman: false,
            handoffReason: nil, handoffState: nil)
        // Claimed before the first await, so a concurrent create of the same id fails.
        sessions[id] = record
        guard await conversations.conversation(id: id) == nil else {
            sessions[id] = nil
            throw DuplicateKey(key: "conversation \(id)")
        }
        _ = await conversations.openSession(id: id, mode: .customerService, at: date)
        return record
    }

    public func session(id: String) -> SessionRecord? { sessions[id] }

    public func appendTurn(_ turn: TurnLog, handoffReason: String?) async throws {
        guard sessions[turn.sessionID] != nil else { throw MissingReference(reference: "session \(turn.sessionID)") }
        try await conversations.appendLines(turn.transcript, sessionID: turn.sessionID, keepLast: nil)
        // Read after the await: another turn of the session may have been appended meanwhile.
        guard var session = sessions[turn.sessionID] else { throw MissingReference(reference: "session \(turn.sessionID)") }
        turnLogs[turn.sessionID, default: []].append(turn)
        allTurns.append(turn)
        session.messageCount += 1
        if turn.transferToHuman {
            // A session handed off once stays handed off; a later request does not reopen a closed handoff.
            session.transferToHuman = true
            session.handoffReason = session.handoffReason ?? handoffReason
            session.handoffState = session.handoffState ?? .pending
        }
        sessions[turn.sessionID] = session
    }

    public func turns(sessionID: String) -> [TurnLog] { turnLogs[sessionID] ?? [] }

    /// Deletes the sessions created before `date` with their turns; returns their ids.
    func pruneSessions(before date: Date) -> [String] {
        let old = sessions.values.filter { $0.createdAt < date }.map(\.id)
        for id in old {
            sessions.removeValue(forKey: id)
            turnLogs.removeValue(forKey: id)
        }
        allTurns.removeAll { old.contains($0.sessionID) }
        return old
    }

    public func rate(sessionID: String, rating: Int, comment: String?) {
        sessions[sessionID]?.rating = rating
        sessions[sessionID]?.ratingComment = comment
    }

    public func moveHandoffState(sessionID: String, from expected: HandoffState, to state: HandoffState) -> Bool {
        guard sessions[sessionID]?.handoffState == expected else { return false }
        sessions[sessionID]?.handoffState = state
        return true
    }

    public func stats() -> CustomerServiceStats {
        let total = sessions.count
        let transferred = sessions.values.filter(\.transferToHuman).count
        let ratings = sessions.values.compactMap(\.rating)
        let matched = allTurns.filter { !$0.transferToHuman }
        var distribution = Dictionary(uniqueKeysWithValues: MatchBand.allCases.map { ($0.rawValue, 0) })
        for turn in matched { distribution[turn.matchType.rawValue, default: 0] += 1 }
        var hits: [String: Int] = [:]
        for turn in allTurns { if let topic = turn.topic { hits[topic, default: 0] += 1 } }
        let topicHits = hits.map { CustomerServiceStats.TopicHits(topic: $0.key, hits: $0.value) }
            .sorted { $0.hits != $1.hits ? $0.hits > $1.hits : Array($0.topic.utf8).lexicographicallyPrecedes($1.topic.utf8) }
        return CustomerServiceStats(
            totalSessions: total, totalMessages: allTurns.count, handoffMessages: allTurns.count - matched.count,
            avgConfidence: matched.isEmpty ? 0 : matched.map(\.confidence).reduce(0, +) / Double(matched.count),
            transferredSessions: transferred,
            matchTypeDistribution: distribution,
            averageRating: ratings.isEmpty ? nil : Double(ratings.reduce(0, +)) / Double(ratings.count),
            ratedSessions: ratings.count, topicHits: topicHits)
    }
}
