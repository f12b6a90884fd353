/// Counts LLM calls, tokens and cassette hits for reports.
public actor LLMUsageMeter {
    /// A snapshot of the counters.
    public struct Snapshot: Sendable, Codable, Equatable {
        public var chatCalls = 0
        public var streamedChatCalls = 0
        public var embeddingCalls = 0
        public var embeddedTexts = 0
        public var promptTokens = 0
        public var completionTokens = 0
        public var cassetteHits = 0
        public var cassetteMisses = 0
        public var failures = 0

        public init() {}
    }

    private var counters = Snapshot()
    private let metrics: DomainMetrics

    /// A meter that also reports cassette lookups to `metrics`.
    public init(metrics: DomainMetrics = .none) { self.metrics = metrics }

    /// The counters so far.
    public var snapshot: Snapshot { counters }

    func recordChat(streamed: Bool, usage: TokenUsage?) {
        if streamed { counters.streamedChatCalls += 1 } else { counters.chatCalls += 1 }
        add(usage)
    }

    func recordEmbedding(texts: Int, usage: TokenUsage?) {
        counters.embeddingCalls += 1
        counters.embeddedTexts += texts
        add(usage)
    }

    func recordCassette(hit: Bool) {
        if hit { counters.cassetteHits += 1 } else { counters.cassetteMisses += 1 }
        metrics.cassetteLookup(hit: hit)
    }

    func recordFailure() { counters.failures += 1 }

    private func add(_ usage: TokenUsage?) {
        counters.promptTokens += usage?.promptTokens ?? 0
        counters.completionTokens += usage?.completionTokens ?? 0
    }
}
