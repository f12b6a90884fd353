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

/// The customer-service mode: code decides (handoff rules, then the confidence band), the LLM only rewrites.
public struct CustomerServiceDesk: Sendable {
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

    /// The desk over a store, with the configured matching knobs; `segmenter` (loaded from `corpora` when nil) may be
    /// shared with the other modes, its dictionary is the largest thing an idle server holds.
    public static func make(
        store backend: any VividCrowdStore, llm: LLMClient, configuration: VividCrowdConfiguration, corpora: URL,
        segmenter: JiebaSegmenter? = nil
    ) throws -> CustomerServiceDesk {
        let segmenter = try segmenter ?? JiebaSegmenter(directory: corpora.appendingPathComponent("jieba"))
        let store = backend.customerService
        let embedder = CachingEmbedder(client: llm, cache: backend.embeddings)
        let tokenizer = SearchTokenizer(segmenter: segmenter)
        let defaultCalibration = CustomerServiceMatcher.defaultCalibration(configuration.matching)
        let matcher = CustomerServiceMatcher(
            store: store, embedder: embedder, tokenizer: tokenizer, defaultCalibration: defaultCalibration,
            denseSearch: configuration.retrieval.denseSearch)
        let importer = KnowledgeBaseImporter(
            store: store, embedder: embedder,
            keywords: try KeywordExtractor(
                segmenter: segmenter, idfFile: corpora.appendingPathComponent("jieba/idf.txt")),
            tokenizer: tokenizer, defaultCalibration: defaultCalibration,
            selfCalibrates: !configuration.matching.configured)
        return CustomerServiceDesk(store: store, matcher: matcher, importer: importer, llm: llm)
    }

    /// Imports a knowledge-base file; the next match, in this process or any other on the same store, sees it.
    public func importKnowledgeBase(_ data: Data, fileName: String) async throws -> ImportOutcome {
        try await llm.metrics.timingImport("knowledge_base") { try await importer.importFile(data, fileName: fileName) }
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
        guard let from = current.handoffState, from.canMove(to: state),
            try await store.moveHandoffState(sessionID: id, from: from, to: state)
        else {
            // Read again: a concurrent move may have changed the state between the read and the move.
            let latest = try await session(id).handoffState
            throw CustomerServiceError.invalidHandoffTransition(from: latest, to: state)
        }
        return try await session(id)
    }

    /// Exact statistics.
    public func stats() async throws -> CustomerServiceStats { try await store.stats() }

    /// Number of knowledge-base rows.
    public func entryCount() async throws -> Int { try await store.knowledgeEntryCount() }

    /// The sender of customer-service replies in stream frames.
    public static let sender = "assistant"

    /// Answers one message and returns the final reply, logged before it returns; `emit` receives the stream
    /// events of an LLM-written reply.
    public func answer(
        _ message: String, sessionID: String, emit: @Sendable (ConversationEvent) async -> Void = { _ in }
    ) async throws -> CustomerServiceReply {
        let started = ContinuousClock.now
        let question = try MessageText.validate(message)
        let session = try await session(sessionID)
        let chinese = MessageText.isChinese(question)
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
            switch (match.band, match.entry) {
            case (.high, let entry?):
                reply.content = CustomerServicePrompts.verbatim(entry.entry, chinese: chinese)
            case (.mid, let entry?):
                reply.content = try await streamLLM(
                    CustomerServicePrompts.rewrite(question: question, entry: entry.entry, chinese: chinese),
                    emit: emit)
                reply.llmUsed = true
            case (.low, _):
                let topics = uniqueTopics(([match.entry] + match.alternatives.map(Optional.some)).compactMap { $0 })
                reply.suggestions = topics
                reply.content = try await streamLLM(
                    CustomerServicePrompts.rephrase(question: question, topics: topics, chinese: chinese), emit: emit)
                reply.llmUsed = true
            case (.noMatch, _), (.high, nil), (.mid, nil):
                // A band above low always carries its entry; without one there is nothing to say from.
                reply.matchType = .noMatch
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
        llm.metrics.customerServiceReply(
            band: reply.matchType.rawValue, handoffReason: reply.transferToHuman ? reply.handoffReason?.rawValue : nil)
        return reply
    }

    private func uniqueTopics(_ entries: [StoredQAEntry]) -> [String] {
        var seen = Set<String>()
        return entries.map(\.entry.topicName).filter { seen.insert($0).inserted }.prefix(3).map { $0 }
    }

    private func streamLLM(_ messages: [ChatMessage], emit: @Sendable (ConversationEvent) async -> Void) async throws -> String {
        let request = ChatRequest(model: llm.models.router, messages: messages, temperature: 0, seed: 42, maxTokens: 320)
        await emit(.streamStart(sender: Self.sender))
        var text = ""
        for try await event in llm.stream(request) {
            if case .delta(let piece) = event {
                text += piece
                await emit(.streamChunk(sender: Self.sender, content: piece))
            }
        }
        await emit(.streamEnd(sender: Self.sender))
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
