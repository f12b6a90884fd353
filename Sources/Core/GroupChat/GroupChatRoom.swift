import Foundation

/// One line of a room's history.
public struct GroupChatLine: Sendable, Hashable, Codable {
    /// "user" or an agent id.
    public var sender: String
    public var text: String
}

/// A chat room: its history, who holds the floor, each agent's messages today. Agents think concurrently and speak
/// one at a time, each after a typing delay on the injected clock; a reply too close to one already sent this round
/// is dropped. Every line is written through to the conversation store (bounded to `historyLimit`) and agents' daily
/// counts are kept there, so a named room continues after a restart and on any instance sharing the store; a named
/// room reads its history back before each message (another instance may have added to it) and broadcasts its
/// events to every connection in it (`broadcast`).
public actor GroupChatRoom {
    /// The room's conversation id in the store.
    public nonisolated let id: String
    public let router: GroupChatRouter
    private let conversations: any ConversationStore
    private let clock: any Clock<Duration>
    private let date: @Sendable () -> Date
    private var random: SeededGenerator
    private(set) public var history: [GroupChatLine] = []
    private var focusAgent: String?
    /// A named room's live events for every connection in it; nil for a private room.
    public nonisolated let broadcast: (any RoomBroadcast)?
    /// Longest history kept (and the most a prompt sees is the last 12 lines of it).
    public let historyLimit: Int
    /// The history limit rooms get unless told otherwise.
    public static let defaultHistoryLimit = 200

    /// A room continuing `history` (oldest first), which the caller read from `conversations`.
    public init(
        id: String, router: GroupChatRouter, conversations: any ConversationStore, history: [GroupChatLine] = [],
        clock: any Clock<Duration>, date: @escaping @Sendable () -> Date, seed: UInt64, historyLimit: Int = defaultHistoryLimit,
        broadcast: (any RoomBroadcast)? = nil
    ) {
        self.id = id
        self.broadcast = broadcast
        self.router = router
        self.conversations = conversations
        self.history = Array(history.suffix(historyLimit))
        self.clock = clock
        self.date = date
        self.random = SeededGenerator(seed: seed)
        self.historyLimit = historyLimit
    }

    /// Handles one user message: routes it, lets the chosen agents think at once, and has them speak in turn.
    @discardableResult
    public func send(
        _ message: String, agentIDs: [String] = [], emit: @Sendable (ConversationEvent) async -> Void
    ) async throws -> (decision: RoutingDecision, replies: [GroupChatLine]) {
        let now = date()
        if broadcast != nil {
            history = try await conversations.lines(sessionID: id, limit: historyLimit)
                .map { GroupChatLine(sender: $0.sender, text: $0.text) }
        }
        let context = RoutingContext(
            focusAgent: focusAgent, recentUserMessages: history.filter { $0.sender == "user" }.map(\.text).suffix(8),
            exhausted: try await exhausted(at: now), date: now, requestedAgents: agentIDs)
        let draws = RoutingDraws.next(&random)
        var decision = try await router.route(message, context: context, draws: draws)
        router.llm.metrics.groupChatRound(path: decision.path.rawValue)
        try await append(GroupChatLine(sender: "user", text: message))
        let personas = decision.agents.compactMap { id in router.index.personas.first { $0.id == id } }

        let drafts: [String: Draft]
        if decision.path == .guardrail {
            drafts = Dictionary(uniqueKeysWithValues: personas.map { persona in
                let line = persona.deflections[Int.random(in: 0..<persona.deflections.count, using: &random)]
                return (persona.id, Draft(chunks: [line]))
            })
        } else {
            drafts = try await think(personas, message: message)
        }
        var spoken: [GroupChatLine] = []
        for persona in personas {
            guard let draft = drafts[persona.id], !draft.text.isEmpty else { continue }
            if let earlier = spoken.first(where: { Self.similarity($0.text, draft.text) >= 0.7 }) {
                decision.notes.append("dropped \(persona.id): too close to \(earlier.sender)")
                continue
            }
            await emit(.typing(sender: persona.name))
            try await clock.sleep(for: typingDelay())
            await emit(.streamStart(sender: persona.name))
            for chunk in draft.chunks { await emit(.streamChunk(sender: persona.name, content: chunk)) }
            await emit(.streamEnd(sender: persona.name))
            let line = GroupChatLine(sender: persona.id, text: draft.text)
            spoken.append(line)
            try await append(line)
            _ = try await conversations.incrementDailyCount(countKey(persona.id), day: day(date()))
        }
        if let last = spoken.last { focusAgent = last.sender } else if decision.path != .focus { focusAgent = nil }
        return (decision, spoken)
    }

    struct Draft: Sendable {
        var chunks: [String]
        var text: String { chunks.joined().trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    /// Every chosen agent's reply, generated concurrently.
    private func think(_ personas: [Persona], message: String) async throws -> [String: Draft] {
        let transcript = history.suffix(12)
        let names = Dictionary(uniqueKeysWithValues: router.index.personas.map { ($0.id, $0.name) })
        let llm = router.llm
        return try await withThrowingTaskGroup(of: (String, Draft).self) { group in
            for persona in personas {
                let messages = GroupChatPrompts.messages(for: persona, transcript: Array(transcript), names: names)
                group.addTask {
                    let request = ChatRequest(model: llm.models.chat, messages: messages, temperature: 0.7, seed: 11, maxTokens: 120)
                    var chunks: [String] = []
                    for try await event in llm.stream(request) {
                        if case .delta(let text) = event { chunks.append(text) }
                    }
                    return (persona.id, Draft(chunks: chunks))
                }
            }
            var drafts: [String: Draft] = [:]
            for try await (id, draft) in group { drafts[id] = draft }
            return drafts
        }
    }

    private func typingDelay() -> Duration {
        let policy = router.policy
        let seconds = policy.maxTypingDelay > policy.minTypingDelay
            ? Double.random(in: policy.minTypingDelay...policy.maxTypingDelay, using: &random) : policy.minTypingDelay
        return .milliseconds(Int(seconds * 1000))
    }

    private func append(_ line: GroupChatLine) async throws {
        history.append(line)
        if history.count > historyLimit { history.removeFirst(history.count - historyLimit) }
        try await conversations.appendLines(
            [ConversationLine(sender: line.sender, text: line.text, createdAt: date())], sessionID: id, keepLast: historyLimit)
    }

    /// The local calendar day of `date` ("2026-12-03"): daily counts reset at local midnight.
    private func day(_ date: Date) -> String { CountingDay.key(of: date, in: router.policy.timeZone) }

    /// An agent's daily-count key in this room.
    private func countKey(_ agent: String) -> String { "\(id)/\(agent)" }

    /// Agents at their daily limit today, counted in the store (so every instance serving the room agrees).
    private func exhausted(at date: Date) async throws -> Set<String> {
        let agents = router.index.personas.map(\.id)
        let counts = try await conversations.dailyCounts(agents.map(countKey), day: day(date))
        return Set(agents.filter { (counts[countKey($0)] ?? 0) >= router.policy.dailyLimit })
    }

    /// How many messages an agent has sent in this room today.
    public func messagesToday(_ agent: String) async throws -> Int {
        try await conversations.dailyCounts([countKey(agent)], day: day(date()))[countKey(agent)] ?? 0
    }

    /// Character-bigram Jaccard similarity of two replies (1 = the same text).
    static func similarity(_ left: String, _ right: String) -> Double {
        func bigrams(_ text: String) -> Set<String> {
            let characters = Array(MessageText.fold(text).filter { !$0.isWhitespace && !$0.isPunctuation })
            guard characters.count > 1 else { return Set(characters.map(String.init)) }
            return Set((0..<(characters.count - 1)).map { String(characters[$0...$0 + 1]) })
        }
        let a = bigrams(left), b = bigrams(right)
        guard !a.isEmpty || !b.isEmpty else { return 1 }
        return Double(a.intersection(b).count) / Double(a.union(b).count)
    }
}

/// The prompts group-chat agents speak from.
public enum GroupChatPrompts {
    /// The persona's system prompt with its rules, then the room's recent lines.
    public static func messages(for persona: Persona, transcript: [GroupChatLine], names: [String: String]) -> [ChatMessage] {
        var rules: [String] = []
        if persona.isChinese {
            rules.append("你是群聊里的真人成员\(persona.name)。回复简短口语化（一两句），绝不承认自己是AI、程序或模型。")
            if !persona.expertise.isEmpty || !persona.interests.isEmpty {
                rules.append("你熟悉：\((persona.expertise + persona.interests).joined(separator: "、"))。超出这些的问题，用你自己的口吻自然地带过。")
            }
            if !persona.avoidTopics.isEmpty { rules.append("避免谈论：\(persona.avoidTopics.joined(separator: "、"))。") }
            if let style = persona.speechStyle { rules.append("说话风格：\(style)") }
        } else {
            rules.append("You are \(persona.name), a real member of this group chat. Reply briefly (one or two sentences); never say you are an AI, a program or a model.")
            if !persona.expertise.isEmpty || !persona.interests.isEmpty {
                rules.append("You know about: \((persona.expertise + persona.interests).joined(separator: ", ")). Deflect anything outside that in character.")
            }
            if !persona.avoidTopics.isEmpty { rules.append("Avoid: \(persona.avoidTopics.joined(separator: ", ")).") }
            if let style = persona.speechStyle { rules.append("Style: \(style)") }
        }
        rules += persona.guardrailRules
        var messages: [ChatMessage] = [.system(([persona.systemPrompt] + rules).joined(separator: "\n"))]
        for line in transcript {
            if line.sender == persona.id {
                messages.append(.assistant(line.text))
            } else {
                let who = line.sender == "user" ? (persona.isChinese ? "用户" : "User") : (names[line.sender] ?? line.sender)
                messages.append(.user("\(who): \(line.text)"))
            }
        }
        return messages
    }
}
