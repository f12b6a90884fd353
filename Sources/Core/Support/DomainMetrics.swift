import CoreMetrics

/// What the modes report for operators — LLM calls, tokens and latency, cassette lookups, customer-service bands and
/// handoffs, group-chat routing paths, import durations — into an injected swift-metrics factory (Prometheus in the
/// server; nothing by default, so tools and tests pay no cost).
public struct DomainMetrics: Sendable {
    private let factory: any MetricsFactory

    /// Metrics into `factory`.
    public init(factory: any MetricsFactory) { self.factory = factory }

    /// Metrics that go nowhere.
    public static let none = DomainMetrics(factory: NOOPMetricsHandler.instance)

    /// One LLM call: its endpoint, model, the mode that made it, how long it took and how it ended (`ok` or an
    /// error code such as `not_recorded`, `llm_timeout`).
    public func llmCall(endpoint: LLMEndpoint, model: String, mode: String, seconds: Double, outcome: String) {
        let dimensions = [("endpoint", endpoint.rawValue), ("model", model), ("mode", mode)]
        Counter(label: "vividcrowd_llm_requests_total", dimensions: dimensions + [("outcome", outcome)], factory: factory)
            .increment()
        Timer(label: "vividcrowd_llm_request_duration_seconds", dimensions: dimensions, factory: factory)
            .recordNanoseconds(Int64((seconds * 1e9).rounded()))
    }

    /// Tokens one call used, as the server reported them.
    public func llmTokens(model: String, mode: String, prompt: Int, completion: Int) {
        for (kind, count) in [("prompt", prompt), ("completion", completion)] where count > 0 {
            Counter(
                label: "vividcrowd_llm_tokens_total", dimensions: [("model", model), ("mode", mode), ("kind", kind)],
                factory: factory
            ).increment(by: count)
        }
    }

    /// One replay lookup in a cassette.
    public func cassetteLookup(hit: Bool) {
        Counter(label: "vividcrowd_cassette_lookups_total", dimensions: [("result", hit ? "hit" : "miss")], factory: factory)
            .increment()
    }

    /// One customer-service reply: its band, and the handoff reason when it went to a person.
    public func customerServiceReply(band: String, handoffReason: String?) {
        Counter(label: "vividcrowd_customer_service_replies_total", dimensions: [("band", band)], factory: factory).increment()
        if let handoffReason {
            Counter(label: "vividcrowd_customer_service_handoffs_total", dimensions: [("reason", handoffReason)], factory: factory)
                .increment()
        }
    }

    /// One group-chat round and the path that routed it.
    public func groupChatRound(path: String) {
        Counter(label: "vividcrowd_group_chat_rounds_total", dimensions: [("path", path)], factory: factory).increment()
    }

    /// One import or upload (`knowledge_base`, `twin`, `customer`, `sales_material`) and how it ended.
    public func importFinished(kind: String, seconds: Double, outcome: String) {
        Counter(label: "vividcrowd_imports_total", dimensions: [("kind", kind), ("outcome", outcome)], factory: factory)
            .increment()
        Timer(label: "vividcrowd_import_duration_seconds", dimensions: [("kind", kind)], factory: factory)
            .recordNanoseconds(Int64((seconds * 1e9).rounded()))
    }

    /// Times `body` (run in the caller's isolation) as an import of `kind`, counting its outcome (`ok`, or `failed`
    /// when it throws).
    public func timingImport<T>(
        _ kind: String, isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> T
    ) async rethrows -> T {
        let clock = ContinuousClock()
        let start = clock.now
        do {
            let result = try await body()
            importFinished(kind: kind, seconds: (clock.now - start).seconds, outcome: "ok")
            return result
        } catch {
            importFinished(kind: kind, seconds: (clock.now - start).seconds, outcome: "failed")
            throw error
        }
    }
}
