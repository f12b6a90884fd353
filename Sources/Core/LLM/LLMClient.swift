import Foundation
import Logging

/// The one way VividCrowd talks to a language model: chat (whole or streamed) and embeddings,
/// live or through a cassette.
public final class LLMClient: Sendable {
    /// The model names the modes choose from.
    public struct Models: Sendable {
        public var chat: String
        public var router: String
        public var evaluation: String
        public var embedding: String

        public init(chat: String, router: String, evaluation: String, embedding: String) {
            self.chat = chat
            self.router = router
            self.evaluation = evaluation
            self.embedding = embedding
        }
    }

    public let transport: any LLMTransport
    public let models: Models
    public let embeddingBatchSize: Int
    public let meter: LLMUsageMeter
    /// Whether structured calls send their JSON schema (llama.cpp's non-standard `schema` key, which compiles to a
    /// grammar); hosted servers such as DashScope reject it.
    public let sendsLocalSchema: Bool
    /// Removes the configured key (and anything shaped like a key) from replies, streamed ones across chunk
    /// boundaries too, before any mode sees them.
    public let redactor: Redactor
    /// Where calls, tokens and latencies are reported, labelled with `mode`.
    public let metrics: DomainMetrics
    /// The mode this client's calls are counted under (`customer_service`, `twins`, …; `other` unless labelled).
    public let mode: String
    private let logger: Logger
    private let onShutdown: @Sendable () async throws -> Void

    /// A client over any transport (a test double, an HTTP transport or a cassette).
    public init(
        transport: any LLMTransport, models: Models, embeddingBatchSize: Int = 25, meter: LLMUsageMeter = LLMUsageMeter(),
        sendsLocalSchema: Bool = false, redactor: Redactor = Redactor(secrets: []),
        logger: Logger = Logger(label: "vividcrowd.llm"), metrics: DomainMetrics = .none, mode: String = "other",
        onShutdown: @escaping @Sendable () async throws -> Void = {}
    ) {
        self.metrics = metrics
        self.mode = mode
        self.redactor = redactor
        self.transport = transport
        self.models = models
        self.embeddingBatchSize = max(1, embeddingBatchSize)
        self.meter = meter
        self.sendsLocalSchema = sendsLocalSchema
        self.logger = logger
        self.onShutdown = onShutdown
    }

    /// The client the configuration asks for: HTTP to the configured server, wrapped in the cassette
    /// `cassetteName` (default `CASSETTE_NAME`) unless the mode is `live`.
    public static func make(
        configuration: VividCrowdConfiguration, cassetteName: String? = nil,
        clock: any Clock<Duration> = ContinuousClock(), logger: Logger = Logger(label: "vividcrowd.llm"),
        metrics: DomainMetrics = .none
    ) throws -> LLMClient {
        let settings = configuration.llm
        let meter = LLMUsageMeter(metrics: metrics)
        let models = Models(
            chat: settings.model, router: settings.routerModel, evaluation: settings.evaluationModel,
            embedding: settings.embeddingModel)
        let http: HTTPTransport? =
            settings.mode == .replay ? nil : HTTPTransport(settings: .init(settings), clock: clock, logger: logger)
        let transport: any LLMTransport
        if settings.mode == .live, let http {
            transport = http
        } else {
            let cassette = try Cassette(
                directory: settings.cassetteDirectory, name: cassetteName ?? settings.cassetteName,
                startEmpty: settings.mode == .record, redactor: Redactor(secrets: settings.secrets),
                repeatsLastRecording: settings.replayRepeatsLast && settings.mode == .replay,
                matching: settings.mode == .replay ? settings.replayMatching : .exact)
            transport = CassetteTransport(
                cassette: cassette, mode: settings.mode, live: http, replaySpeed: settings.replaySpeed, clock: clock,
                meter: meter)
        }
        return LLMClient(
            transport: transport, models: models, embeddingBatchSize: settings.embeddingBatchSize, meter: meter,
            sendsLocalSchema: settings.localSchema, redactor: Redactor(secrets: settings.secrets), logger: logger,
            metrics: metrics, onShutdown: { try await http?.shutdown() })
    }

    /// The same client (transport, meter, key) counting its calls under `mode`; shutting it down does nothing,
    /// the original owns the connections.
    public func labelled(mode: String) -> LLMClient {
        LLMClient(
            transport: transport, models: models, embeddingBatchSize: embeddingBatchSize, meter: meter,
            sendsLocalSchema: sendsLocalSchema, redactor: redactor, logger: logger, metrics: metrics, mode: mode)
    }

    /// Reports one call's outcome and latency (and tokens when the server gave them).
    private func report(
        _ endpoint: LLMEndpoint, model: String, since start: ContinuousClock.Instant, usage: TokenUsage?, error: (any Error)?
    ) {
        let outcome: String
        switch error {
        case nil: outcome = "ok"
        case let failure as LLMError: outcome = failure.code
        default: outcome = "failed"
        }
        metrics.llmCall(endpoint: endpoint, model: model, mode: mode, seconds: (ContinuousClock.now - start).seconds, outcome: outcome)
        if let usage {
            metrics.llmTokens(model: model, mode: mode, prompt: usage.promptTokens, completion: usage.completionTokens)
        }
    }

    /// Releases network resources.
    public func shutdown() async throws {
        try await onShutdown()
    }

    /// One call of another endpoint (speech, a download), counted, logged and recorded like chat; the reply as the
    /// transport gives it (bytes as `BinaryBody.reply`).
    public func call(_ endpoint: LLMEndpoint, model: String, body: JSONValue) async throws -> JSONValue {
        let start = ContinuousClock.now
        do {
            let reply = try await transport.send(endpoint, body: body)
            report(endpoint, model: model, since: start, usage: nil, error: nil)
            return reply
        } catch {
            report(endpoint, model: model, since: start, usage: nil, error: error)
            await meter.recordFailure()
            logger.error(
                "\(endpoint.rawValue) call failed", metadata: ["model": "\(model)", "error": "\(redactor.redact("\(error)"))"])
            throw error
        }
    }

    /// A whole chat reply.
    public func complete(_ request: ChatRequest) async throws -> ChatCompletion {
        let start = ContinuousClock.now
        do {
            let json = try await transport.send(.chatCompletions, body: request.body(stream: false))
            var completion = try ChatCompletion.parse(json)
            completion.content = redactor.redact(completion.content)
            await meter.recordChat(streamed: false, usage: completion.usage)
            report(.chatCompletions, model: request.model, since: start, usage: completion.usage, error: nil)
            return completion
        } catch {
            report(.chatCompletions, model: request.model, since: start, usage: nil, error: error)
            await meter.recordFailure()
            logger.error("chat completion failed", metadata: ["model": "\(request.model)", "error": "\(error)"])
            throw error
        }
    }

    /// A streamed chat reply: text deltas, then one `.finished` event.
    public func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatStreamEvent, any Error> {
        let (events, continuation) = AsyncThrowingStream<ChatStreamEvent, any Error>.makeStream()
        let task = Task {
            let start = ContinuousClock.now
            var redaction = StreamRedactor(redactor)
            do {
                let payloads = try await transport.stream(.chatCompletions, body: request.body(stream: true))
                var decoder = ChatStreamDecoder()
                for try await payload in payloads {
                    for event in try decoder.decode(payload.data) {
                        guard case .delta(let text) = event else {
                            continuation.yield(event)
                            continue
                        }
                        let safe = redaction.feed(text)
                        if !safe.isEmpty { continuation.yield(.delta(safe)) }
                    }
                    if decoder.isDone { break }
                }
                let final = try decoder.finish()
                let rest = redaction.finish()
                if !rest.isEmpty { continuation.yield(.delta(rest)) }
                continuation.yield(final)
                await meter.recordChat(streamed: true, usage: decoder.usage)
                report(.chatCompletions, model: request.model, since: start, usage: decoder.usage, error: nil)
                continuation.finish()
            } catch {
                report(.chatCompletions, model: request.model, since: start, usage: nil, error: error)
                // The text that arrived before the failure is the consumer's too (redacted as any other).
                let rest = redaction.finish()
                if !rest.isEmpty { continuation.yield(.delta(rest)) }
                await meter.recordFailure()
                logger.error("chat stream failed", metadata: ["model": "\(request.model)", "error": "\(error)"])
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return events
    }

    /// Vectors for `texts` in order, fetched in batches of `embeddingBatchSize`.
    public func embed(_ texts: [String], model: String? = nil, inputType: String? = nil) async throws -> [[Float]] {
        let model = model ?? models.embedding
        let batches = stride(from: 0, to: texts.count, by: embeddingBatchSize).map {
            Array(texts[$0..<min($0 + embeddingBatchSize, texts.count)])
        }
        let progress = ProgressReporter.current
        progress?.expect(texts.count)
        do {
            return try await withThrowingTaskGroup(of: (Int, [[Float]]).self) { group in
                for (index, batch) in batches.enumerated() {
                    group.addTask {
                        let start = ContinuousClock.now
                        let request = EmbeddingRequest(model: model, inputs: batch, inputType: inputType)
                        do {
                            let json = try await self.transport.send(.embeddings, body: request.body)
                            let result = try EmbeddingResult.parse(json, expectedCount: batch.count)
                            await self.meter.recordEmbedding(texts: batch.count, usage: result.usage)
                            self.report(.embeddings, model: model, since: start, usage: result.usage, error: nil)
                            progress?.advance(batch.count)
                            return (index, result.vectors)
                        } catch {
                            self.report(.embeddings, model: model, since: start, usage: nil, error: error)
                            throw error
                        }
                    }
                }
                var ordered = [[[Float]]](repeating: [], count: batches.count)
                for try await (index, vectors) in group { ordered[index] = vectors }
                return ordered.flatMap { $0 }
            }
        } catch {
            await meter.recordFailure()
            logger.error("embedding failed", metadata: ["model": "\(model)", "error": "\(error)"])
            throw error
        }
    }
}

/// Turns SSE payloads of an OpenAI chat stream into events; `[DONE]`, errors and truncation included.
struct ChatStreamDecoder {
    private(set) var isDone = false
    private(set) var usage: TokenUsage?
    private var finishReason: String?

    mutating func decode(_ data: String) throws -> [ChatStreamEvent] {
        let trimmed = data.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed == "[DONE]" {
            isDone = true
            return []
        }
        guard let json = try? JSONValue.parse(trimmed) else {
            throw LLMError.malformedResponse("stream payload is not JSON: \(trimmed.prefix(200))")
        }
        if let error = json["error"] {
            throw LLMError.streamError(message: error["message"]?.stringValue ?? error.preview)
        }
        if let reportedUsage = TokenUsage(json: json["usage"]) { usage = reportedUsage }
        guard let choice = json["choices"]?[0] else { return [] }
        var events: [ChatStreamEvent] = []
        if let text = choice["delta"]?["content"]?.stringValue, !text.isEmpty { events.append(.delta(text)) }
        if let reason = choice["finish_reason"]?.stringValue { finishReason = reason }
        return events
    }

    func finish() throws -> ChatStreamEvent {
        guard isDone || finishReason != nil else {
            throw LLMError.streamError(message: "the stream ended before the reply was complete")
        }
        return .finished(reason: finishReason, usage: usage)
    }
}
