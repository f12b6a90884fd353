import Foundation

/// The reply to one customer message, with how it was decided.
public struct CustomerServiceReply: Sendable, Codable, Equatable {
    /// The knowledge-base entry a reply is based on.
    public struct MatchedEntry: Sendable, Codable, Equatable {
        public var id: Int
        public var topic: String
        public var question: String
        public var riskNotes: String

        enum CodingKeys: String, CodingKey {
            case id, topic, question
            case riskNotes = "risk_notes"
        }
    }

    public var content: String
    public var confidence: Double
    public var matchType: MatchBand
    public var matched: MatchedEntry?
    /// Closest topics offered when the question was unclear.
    public var suggestions: [String]
    public var llmUsed: Bool
    public var transferToHuman: Bool
    public var handoffReason: HandoffReason?
    public var handoffState: HandoffState?
    public var latencyMs: Double

    enum CodingKeys: String, CodingKey {
        case content, confidence, matched, suggestions
        case matchType = "match_type"
        case llmUsed = "llm_used"
        case transferToHuman = "transfer_to_human"
        case handoffReason = "handoff_reason"
        case handoffState = "handoff_state"
        case latencyMs = "latency_ms"
    }
}

/// What a customer sees of one reply, in order: an LLM-written reply streams first, then the final reply.
public enum CustomerServiceEvent: Sendable, Equatable {
    case streamStart
    case streamChunk(String)
    case streamEnd
    case response(CustomerServiceReply)
}

/// The customer-service mode: code decides (handoff rules, then the confidence band), the LLM only rewrites.
public struct CustomerServiceDesk: Sendable {
    /// Longest accepted message, in characters.
    public static let maximumMessageCharacters = 2_000

    public let store: any CustomerServiceStore
    public let matcher: CustomerServiceMatcher
    public let importer: KnowledgeBaseImporter
    public let llm: LLMClient
    public let handoff: HandoffDetector
    private let now: @Sendable () -> Date
    private let makeSessionID: @Sendable () -> String

    public init(
        store: any CustomerServiceStore, matcher: CustomerServiceMatcher, importer: KnowledgeBaseImporter, llm: LLMClient,
        handoff: HandoffDetector = HandoffDetector(), now: @escaping @Sendable () -> Date = Date.init,
        makeSessionID: @escaping @Sendable () -> String = { UUID().uuidString.lowercased() }
    ) {
        self.store = store
        self.matcher = matcher
        self.importer = importer
        self.llm = llm
        self.handoff = handoff
        self.now = now
        self.makeSessionID = makeSessionID
    }

    /// The desk over the SQLite database, with the configured matching knobs.
    public static func make(
        database: SQLiteDatabase, llm: LLMClient, configuration: VividCrowdConfiguration, corpora: URL
    ) throws -> CustomerServiceDesk {
        let segmenter = try JiebaSegmenter(directory: corpora.appendingPathComponent("jieba"))
        let store = SQLiteCustomerServiceStore(database: database)
        let embedder = CachingEmbedder(client: llm, cache: SQLiteEmbeddingCache(database: database))
        let matcher = CustomerServiceMatcher(
            store: store, embedder: embedder, tokenizer: SearchTokenizer(segmenter: segmenter),
            defaultCalibration: CustomerServiceMatcher.defaultCalibration(configuration.matching))
        let importer = KnowledgeBaseImporter(
            store: store, embedder: embedder,
            keywords: try KeywordExtractor(
                segmenter: segmenter, idfFile: corpora.appendingPathComponent("jieba/idf.txt")))
        return CustomerServiceDesk(store: store, matcher: matcher, importer: importer, llm: llm)
    }

    /// Imports a knowledge-base file and makes the next match see it.
    public func importKnowledgeBase(_ data: Data, fileName: String) async throws -> ImportOutcome {
        let outcome = try await importer.importFile(data, fileName: fileName)
        if outcome.status != .unchanged { await matcher.invalidate() }
        return outcome
    }

    /// Starts a session.
    public func createSession() async throws -> SessionRecord {
        try await store.createSession(id: makeSessionID(), at: now())
    }

    /// A session that must exist.
    public func session(_ id: String) async throws -> SessionRecord {
        guard let session = try await store.session(id: id) else { throw CustomerServiceError.unknownSession(id) }
        return session
    }

    /// The turns of an existing session.
    public func history(_ id: String) async throws -> [TurnLog] {
        _ = try await session(id)
        return try await store.turns(sessionID: id)
    }

    /// Rates a session from 1 to 5.
    public func rate(_ id: String, rating: Int, comment: String? = nil) async throws -> SessionRecord {
        guard (1...5).contains(rating) else { throw CustomerServiceError.invalidRating(rating) }
        _ = try await session(id)
        try await store.rate(sessionID: id, rating: rating, comment: comment.map { String($0.prefix(2_000)) })
        return try await session(id)
    }

    /// Moves a session's handoff along pending → open → closed.
    public func moveHandoff(_ id: String, to state: HandoffState) async throws -> SessionRecord {
        let current = try await session(id)
        guard let from = current.handoffState, from.canMove(to: state) else {
            throw CustomerServiceError.invalidHandoffTransition(from: current.handoffState, to: state)
        }
        try await store.setHandoffState(sessionID: id, state: state)
        return try await session(id)
    }

    /// Exact statistics.
    public func stats() async throws -> CustomerServiceStats { try await store.stats() }

    /// Number of knowledge-base rows.
    public func entryCount() async throws -> Int { try await store.knowledgeEntryCount() }

    /// Checks a message before anything is stored or matched.
    public static func validate(_ message: String) throws -> String {
        let trimmed = message.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw CustomerServiceError.emptyMessage }
        guard trimmed.count <= maximumMessageCharacters else {
            throw CustomerServiceError.messageTooLong(trimmed.count, limit: maximumMessageCharacters)
        }
        return trimmed
    }

    /// Answers one message of a session: stream frames for an LLM-written reply, then the final reply, which is
    /// logged before it is yielded.
    public func reply(to message: String, sessionID: String) -> AsyncThrowingStream<CustomerServiceEvent, any Error> {
        let (events, continuation) = AsyncThrowingStream<CustomerServiceEvent, any Error>.makeStream()
        let task = Task {
            do {
                let reply = try await answer(message, sessionID: sessionID) { continuation.yield($0) }
                continuation.yield(.response(reply))
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return events
    }

    /// Answers one message and returns the final reply; `emit` receives the stream frames of an LLM reply.
    public func answer(
        _ message: String, sessionID: String, emit: @Sendable (CustomerServiceEvent) -> Void = { _ in }
    ) async throws -> CustomerServiceReply {
        let started = ContinuousClock.now
        let question = try Self.validate(message)
        let session = try await session(sessionID)
        let chinese = CustomerServicePrompts.isChinese(question)
        var reply: CustomerServiceReply
        var handoffReason: String?

        if let decision = handoff.decide(question) {
            handoffReason = "\(decision.reason.rawValue): \(decision.trigger)"
            reply = CustomerServiceReply(
                content: CustomerServicePrompts.handoff(decision.reason, chinese: chinese), confidence: 0,
                matchType: .noMatch, matched: nil, suggestions: [], llmUsed: false, transferToHuman: true,
                handoffReason: decision.reason, handoffState: session.handoffState ?? .pending, latencyMs: 0)
        } else {
            let match = try await matcher.match(question)
            reply = CustomerServiceReply(
                content: "", confidence: match.confidence, matchType: match.band,
                matched: match.entry.map {
                    .init(id: $0.id, topic: $0.entry.topicName, question: $0.entry.typicalQuestion,
                          riskNotes: $0.entry.riskNotes)
                },
                suggestions: [], llmUsed: false, transferToHuman: false, handoffReason: nil,
                handoffState: session.handoffState, latencyMs: 0)
            switch match.band {
            case .high:
                reply.content = CustomerServicePrompts.verbatim(match.entry!.entry, chinese: chinese)
            case .mid:
                reply.content = try await streamLLM(
                    CustomerServicePrompts.rewrite(question: question, entry: match.entry!.entry, chinese: chinese),
                    emit: emit)
                reply.llmUsed = true
            case .low:
                let topics = uniqueTopics(([match.entry] + match.alternatives.map(Optional.some)).compactMap { $0 })
                reply.suggestions = topics
                reply.content = try await streamLLM(
                    CustomerServicePrompts.rephrase(question: question, topics: topics, chinese: chinese), emit: emit)
                reply.llmUsed = true
            case .noMatch:
                reply.matched = nil
                reply.content = CustomerServicePrompts.noMatch(chinese: chinese)
            }
        }
        let elapsed = ContinuousClock.now - started
        reply.latencyMs = (elapsed.seconds * 10_000).rounded() / 10
        try await store.appendTurn(
            TurnLog(
                sessionID: sessionID, createdAt: now(), query: question, response: reply.content,
                topic: reply.matched?.topic, matchedQuestion: reply.matched?.question, confidence: reply.confidence,
                matchType: reply.matchType, llmUsed: reply.llmUsed, transferToHuman: reply.transferToHuman,
                latencyMs: reply.latencyMs),
            handoffReason: handoffReason)
        return reply
    }

    private func uniqueTopics(_ entries: [StoredQAEntry]) -> [String] {
        var seen = Set<String>()
        return entries.map(\.entry.topicName).filter { seen.insert($0).inserted }.prefix(3).map { $0 }
    }

    private func streamLLM(_ messages: [ChatMessage], emit: @Sendable (CustomerServiceEvent) -> Void) async throws -> String {
        let request = ChatRequest(model: llm.models.router, messages: messages, temperature: 0, seed: 42, maxTokens: 320)
        emit(.streamStart)
        var text = ""
        for try await event in llm.stream(request) {
            if case .delta(let piece) = event {
                text += piece
                emit(.streamChunk(piece))
            }
        }
        emit(.streamEnd)
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
