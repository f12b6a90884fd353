import Foundation

/// Who answers a user message, and which path decided it.
public struct RoutingDecision: Sendable, Hashable, Codable {
    public enum Path: String, Sendable, Codable, CaseIterable {
        case guardrail, mention, focus, semantic, llm, random, none
    }

    /// Agent ids in speaking order, after every limit.
    public var agents: [String]
    public var path: Path
    public var guardrail: GuardrailVerdict?
    /// Limits that removed someone (daily limit, max per round, night mode) and fallbacks taken.
    public var notes: [String]
}

/// The random numbers one routing decision may use, drawn together so a path's choice never shifts the sequence.
public struct RoutingDraws: Sendable {
    public var guardrail: Double
    public var fallback: Double
    public var pick: Double
    public var night: Double

    /// The next four draws of `random`.
    public static func next(_ random: inout SeededGenerator) -> RoutingDraws {
        RoutingDraws(
            guardrail: .random(in: 0..<1, using: &random), fallback: .random(in: 0..<1, using: &random),
            pick: .random(in: 0..<1, using: &random), night: .random(in: 0..<1, using: &random))
    }
}

/// What the router knows about the room when a message arrives.
public struct RoutingContext: Sendable {
    /// Who spoke last (focus holder), if that was in the previous round.
    public var focusAgent: String?
    /// The user's earlier messages, oldest first.
    public var recentUserMessages: [String]
    /// Agents who cannot speak any more today.
    public var exhausted: Set<String>
    public var date: Date
    /// Agent ids the client named explicitly (`{"agent_ids": [...]}`).
    public var requestedAgents: [String]

    public init(focusAgent: String?, recentUserMessages: [String], exhausted: Set<String>, date: Date, requestedAgents: [String] = []) {
        self.focusAgent = focusAgent
        self.recentUserMessages = recentUserMessages
        self.exhausted = exhausted
        self.date = date
        self.requestedAgents = requestedAgents
    }
}

/// The group-chat knobs, from configuration.
public struct GroupChatPolicy: Sendable {
    public var maxAgentsPerRound: Int
    public var randomResponseProbability: Double
    public var nightStartHour: Int
    public var nightEndHour: Int
    public var nightProbability: Double
    public var dailyLimit: Int
    public var minTypingDelay: Double
    public var maxTypingDelay: Double
    /// Semantic path: the best persona's cosine must beat the runner-up's by this much.
    public var semanticMargin: Float
    /// Share of messages the LLM guard checks.
    public var llmGuardRate: Double
    public var llmRouterAttempts: Int
    public var timeZone: TimeZone

    public init(
        maxAgentsPerRound: Int = 3, randomResponseProbability: Double = 0.3, nightStartHour: Int = 23,
        nightEndHour: Int = 7, nightProbability: Double = 0.2, dailyLimit: Int = 10, minTypingDelay: Double = 8,
        maxTypingDelay: Double = 10, semanticMargin: Float = 0.02, llmGuardRate: Double = 0.1, llmRouterAttempts: Int = 2,
        timeZone: TimeZone = .current
    ) {
        self.maxAgentsPerRound = maxAgentsPerRound
        self.randomResponseProbability = randomResponseProbability
        self.nightStartHour = nightStartHour
        self.nightEndHour = nightEndHour
        self.nightProbability = nightProbability
        self.dailyLimit = dailyLimit
        self.minTypingDelay = minTypingDelay
        self.maxTypingDelay = maxTypingDelay
        self.semanticMargin = semanticMargin
        self.llmGuardRate = llmGuardRate
        self.llmRouterAttempts = llmRouterAttempts
        self.timeZone = timeZone
    }

    /// The policy the configuration describes.
    public init(_ settings: VividCrowdConfiguration.GroupChat) {
        self.init(
            maxAgentsPerRound: settings.maxAgentsPerRound, randomResponseProbability: settings.randomResponseProbability,
            nightStartHour: settings.nightModeStartHour, nightEndHour: settings.nightModeEndHour,
            nightProbability: settings.nightModeProbability, minTypingDelay: settings.minTypingDelay,
            maxTypingDelay: settings.maxTypingDelay)
    }

    /// Whether `date` falls in the night window (which may wrap past midnight).
    public func isNight(_ date: Date) -> Bool {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let hour = calendar.component(.hour, from: date)
        if nightStartHour == nightEndHour { return false }
        return nightStartHour < nightEndHour
            ? (nightStartHour..<nightEndHour).contains(hour)
            : hour >= nightStartHour || hour < nightEndHour
    }
}

/// Embedding vectors of each persona's expertise and interests, for the semantic path.
public struct PersonaIndex: Sendable {
    public let personas: [Persona]
    let vectors: [[[Float]]]

    /// Embeds every persona's topic texts (once each, through the cache).
    public static func build(_ personas: [Persona], embedder: CachingEmbedder) async throws -> PersonaIndex {
        var vectors: [[[Float]]] = []
        for persona in personas {
            let texts = persona.topicTexts
            vectors.append(texts.isEmpty ? [] : try await embedder.embed(texts, inputType: "query").map(DenseIndex.normalised))
        }
        return PersonaIndex(personas: personas, vectors: vectors)
    }

    /// Each persona's best cosine to `vector`, in roster order.
    public func scores(_ vector: [Float]) -> [Float] {
        let query = DenseIndex.normalised(vector)
        return vectors.map { topicVectors in
            topicVectors.map { zip($0, query).reduce(Float(0)) { $0 + $1.0 * $1.1 } }.max() ?? -1
        }
    }
}

/// Decides who answers: guardrail, @mentions, focus retention, semantic similarity, the LLM router, a seeded
/// random fallback; then the daily limit, night mode and the per-round cap apply to whatever path decided.
public struct GroupChatRouter: Sendable {
    public let index: PersonaIndex
    public let policy: GroupChatPolicy
    public let embedder: CachingEmbedder
    public let llm: LLMClient
    public let patterns = GuardrailPatterns()
    public let context: ContextGuard

    public init(index: PersonaIndex, policy: GroupChatPolicy, embedder: CachingEmbedder, llm: LLMClient) {
        self.index = index
        self.policy = policy
        self.embedder = embedder
        self.llm = llm
        self.context = ContextGuard(patterns: GuardrailPatterns())
    }

    var personas: [Persona] { index.personas }

    /// Routes one message; `draws` decide the sampled guard, the random fallback and night mode.
    public func route(_ message: String, context room: RoutingContext, draws: RoutingDraws) async throws -> RoutingDecision {
        let (guardDraw, fallbackDraw, pickDraw, nightDraw) = (draws.guardrail, draws.fallback, draws.pick, draws.night)
        let mentioned = Self.mentions(in: message, personas: personas)
        let requested = room.requestedAgents.filter { id in personas.contains { $0.id == id } }

        var verdict = patterns.check(message) ?? context.check(message, recentUserMessages: room.recentUserMessages)
        if verdict == nil, guardDraw < policy.llmGuardRate {
            verdict = await LLMGuard(client: llm).check(message)
        }
        if let verdict {
            let target = (requested + mentioned).first ?? room.focusAgent ?? mostTalkative(excluding: room.exhausted)
            return limit(RoutingDecision(agents: target.map { [$0] } ?? [], path: .guardrail, guardrail: verdict, notes: []),
                         room: room, nightDraw: nightDraw)
        }
        if !requested.isEmpty || !mentioned.isEmpty {
            var ordered: [String] = []
            for id in requested + mentioned where !ordered.contains(id) { ordered.append(id) }
            return limit(RoutingDecision(agents: ordered, path: .mention, guardrail: nil, notes: []), room: room, nightDraw: nightDraw)
        }
        if let focus = room.focusAgent, Self.isFollowUp(message) {
            return limit(RoutingDecision(agents: [focus], path: .focus, guardrail: nil, notes: []), room: room, nightDraw: nightDraw)
        }
        let vector = try await embedder.embed([message], inputType: "query")[0]
        let scores = index.scores(vector)
        let ranked = scores.indices.sorted { scores[$0] > scores[$1] }
        if let best = ranked.first, ranked.count == 1 || scores[best] - scores[ranked[1]] >= policy.semanticMargin {
            return limit(RoutingDecision(agents: [personas[best].id], path: .semantic, guardrail: nil, notes: []),
                         room: room, nightDraw: nightDraw)
        }
        var notes: [String] = []
        if let chosen = try await askRouter(message, notes: &notes) {
            if !chosen.isEmpty {
                return limit(RoutingDecision(agents: chosen, path: .llm, guardrail: nil, notes: notes), room: room, nightDraw: nightDraw)
            }
        } else if let best = ranked.first {
            notes.append("router answer unusable; semantic top-1 taken")
            return limit(RoutingDecision(agents: [personas[best].id], path: .llm, guardrail: nil, notes: notes),
                         room: room, nightDraw: nightDraw)
        }
        if fallbackDraw < policy.randomResponseProbability, let pick = weightedPick(pickDraw, excluding: room.exhausted) {
            return limit(RoutingDecision(agents: [pick], path: .random, guardrail: nil, notes: notes), room: room, nightDraw: nightDraw)
        }
        return RoutingDecision(agents: [], path: .none, guardrail: nil, notes: notes)
    }

    /// The per-round cap, the daily limit and night mode, on any path.
    func limit(_ decision: RoutingDecision, room: RoutingContext, nightDraw: Double) -> RoutingDecision {
        var result = decision
        let before = result.agents
        result.agents = result.agents.filter { !room.exhausted.contains($0) }
        if result.agents.count < before.count { result.notes.append("daily limit reached: \(Set(before).subtracting(result.agents).sorted().joined(separator: ","))") }
        if result.agents.count > policy.maxAgentsPerRound {
            result.agents = Array(result.agents.prefix(policy.maxAgentsPerRound))
            result.notes.append("max \(policy.maxAgentsPerRound) per round")
        }
        if policy.isNight(room.date), !result.agents.isEmpty {
            if nightDraw < policy.nightProbability {
                if result.agents.count > 1 { result.notes.append("night mode: one responder") }
                result.agents = [result.agents[0]]
            } else {
                result.agents = []
                result.notes.append("night mode: nobody answers")
            }
        }
        return result
    }

    /// The LLM router's choice: nil when its answers stayed unusable after the allowed attempts, [] for "nobody".
    func askRouter(_ message: String, notes: inout [String]) async throws -> [String]? {
        let roster = personas.map { persona -> String in
            let knows = (persona.expertise + persona.interests).prefix(12).joined(separator: ", ")
            return "- \(persona.id) (\(persona.name)): \(knows)"
        }.joined(separator: "\n")
        let schema: JSONValue = [
            "type": "object",
            "properties": ["agent_ids": ["type": "array", "items": ["type": "string", "enum": .array(personas.map { .string($0.id) })]]],
            "required": ["agent_ids"],
        ]
        let members = Set(personas.map(\.id))
        let request = StructuredRequest<RouterAnswer>(
            model: llm.models.router,
            messages: [
                .system("""
                    You route messages in a group chat. Members:
                    \(roster)
                    Reply with JSON {"agent_ids": [...]} naming the 0 to \(policy.maxAgentsPerRound) members best \
                    placed to answer, most relevant first.
                    """),
                .user(message),
            ],
            schema: schema, temperature: 0, seed: 1, maxTokens: 40, attempts: max(1, policy.llmRouterAttempts),
            validate: { answer in
                let unknown = answer.agentIDs.filter { !members.contains($0) }
                guard unknown.isEmpty else {
                    throw StructuredOutputProblem(
                        "\(unknown.joined(separator: ", ")) is not a member; use only the listed ids")
                }
                var unique: [String] = []
                for id in answer.agentIDs where !unique.contains(id) { unique.append(id) }
                return RouterAnswer(agentIDs: unique)
            })
        do {
            return try await llm.structured(request).agentIDs
        } catch let failure as StructuredOutputError {
            for (index, problem) in failure.problems.enumerated() {
                switch problem {
                case .callFailed: notes.append("router call \(index + 1) failed")
                case .invalidAnswer: notes.append("router answer \(index + 1) invalid")
                }
            }
            return nil
        }
    }

    /// The router's answer: who should speak.
    struct RouterAnswer: Codable, Sendable {
        var agentIDs: [String]

        enum CodingKeys: String, CodingKey { case agentIDs = "agent_ids" }
    }

    func mostTalkative(excluding: Set<String>) -> String? {
        personas.filter { !excluding.contains($0.id) }.max { $0.talkativeness < $1.talkativeness }?.id
    }

    /// A persona drawn with probability proportional to talkativeness (0 never).
    func weightedPick(_ draw: Double, excluding: Set<String>) -> String? {
        let pool = personas.filter { $0.talkativeness > 0 && !excluding.contains($0.id) }
        let total = pool.reduce(0) { $0 + $1.talkativeness }
        guard total > 0 else { return nil }
        var remaining = draw * total
        for persona in pool {
            remaining -= persona.talkativeness
            if remaining < 0 { return persona.id }
        }
        return pool.last?.id
    }

    /// Agents named with @ (ASCII or full-width), by id or name, in order of appearance.
    public static func mentions(in message: String, personas: [Persona]) -> [String] {
        let text = message.replacingOccurrences(of: "＠", with: "@")
        var found: [(String.Index, String)] = []
        var search = text.startIndex
        while let at = text[search...].firstIndex(of: "@") {
            let rest = text[text.index(after: at)...]
            let candidates = personas.flatMap { [($0.id, $0.id), ($0.name, $0.id)] }
                .sorted { $0.0.count > $1.0.count }
            if let hit = candidates.first(where: { rest.lowercased().hasPrefix($0.0.lowercased()) }) {
                found.append((at, hit.1))
            }
            search = text.index(after: at)
        }
        var ordered: [String] = []
        for (_, id) in found where !ordered.contains(id) { ordered.append(id) }
        return ordered
    }

    /// A message that answers whoever spoke last: it addresses them ("you", 你) or is a short reply.
    public static func isFollowUp(_ message: String) -> Bool {
        let text = MessageText.fold(message)
        if text.contains("你") || text.contains("您") { return true }
        let words = text.split { !($0.isLetter || $0.isNumber || $0 == "'") }
        if words.contains(where: { ["you", "your", "you're", "yours", "u"].contains(String($0)) }) { return true }
        let isCJK = MessageText.isChinese(text)
        return isCJK ? text.count <= 6 : words.count <= 3
    }
}
