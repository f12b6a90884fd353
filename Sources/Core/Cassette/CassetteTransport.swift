import Foundation

/// Records calls of a live transport into a cassette and replays them, per `LLMMode`.
public struct CassetteTransport: LLMTransport {
    /// Body fields that differ between otherwise identical calls, or that carry credentials.
    public static let volatileFields: Set<String> = ["user", "request_id", "api_key", "authorization", "metadata"]

    public let cassette: Cassette
    public let mode: LLMMode
    /// 0 replays streams instantly, 1 at recorded pace, 2 at half speed.
    public let replaySpeed: Double
    private let live: (any LLMTransport)?
    private let clock: any Clock<Duration>
    private let meter: LLMUsageMeter?

    /// A cassette-backed transport; `live` is required unless `mode` is `.replay`.
    public init(
        cassette: Cassette, mode: LLMMode, live: (any LLMTransport)?, replaySpeed: Double = 0,
        clock: any Clock<Duration> = ContinuousClock(), meter: LLMUsageMeter? = nil
    ) {
        precondition(mode != .live, "live mode does not use a cassette")
        precondition(mode == .replay || live != nil, "\(mode) mode needs a live transport")
        self.cassette = cassette
        self.mode = mode
        self.live = live
        self.replaySpeed = replaySpeed
        self.clock = clock
        self.meter = meter
    }

    /// The request as it is keyed and stored: volatile and credential fields removed, uploads reduced to their
    /// digest, a download's URL to its path (`BinaryBody.compact`).
    public static func normalise(_ body: JSONValue, for endpoint: LLMEndpoint = .chatCompletions) -> JSONValue {
        guard var object = body.objectValue else { return body }
        for field in volatileFields { object[field] = nil }
        return BinaryBody.compact(endpoint, .object(object))
    }

    public func send(_ endpoint: LLMEndpoint, body: JSONValue) async throws -> JSONValue {
        let request = Self.normalise(body, for: endpoint)
        let (occurrence, recording) = await claim(endpoint, request)
        if let recording, let response = recording.response {
            await meter?.recordCassette(hit: true)
            if let latency = recording.latencyMs, replaySpeed > 0 {
                try await clock.sleep(for: .milliseconds(latency * replaySpeed))
            }
            return EmbeddingCompaction.expand(response)
        }
        let live = try await liveOrMiss(endpoint, request, occurrence)
        let elapsed = startStopwatch(on: clock)
        let response = try await live.send(endpoint, body: body)
        let latency = elapsed()
        try await cassette.record(
            CassetteInteraction(
                endpoint: endpoint, model: request["model"]?.stringValue ?? "", occurrence: occurrence,
                request: request, response: EmbeddingCompaction.compact(BinaryBody.compactReply(endpoint, response)),
                latencyMs: (latency.seconds * 1e4).rounded() / 10, chunks: nil))
        return response
    }

    public func stream(_ endpoint: LLMEndpoint, body: JSONValue) async throws -> AsyncThrowingStream<
        StreamPayload, any Error
    > {
        let request = Self.normalise(body, for: endpoint)
        let (occurrence, recording) = await claim(endpoint, request)
        if let recording, let chunks = recording.chunks {
            await meter?.recordCassette(hit: true)
            return replay(chunks)
        }
        let live = try await liveOrMiss(endpoint, request, occurrence)
        let upstream = try await live.stream(endpoint, body: body)
        let (stream, continuation) = AsyncThrowingStream<StreamPayload, any Error>.makeStream()
        let cassette = self.cassette
        let forwarder = Task {
            var chunks: [CassetteInteraction.Chunk] = []
            var recorded = false
            func save() async throws {
                guard !recorded else { return }
                recorded = true
                try await cassette.record(
                    CassetteInteraction(
                        endpoint: endpoint, model: request["model"]?.stringValue ?? "", occurrence: occurrence,
                        request: request, response: nil, latencyMs: nil, chunks: chunks))
            }
            do {
                for try await payload in upstream {
                    chunks.append(.init(offsetMs: (payload.offset.seconds * 1e4).rounded() / 10, data: payload.data))
                    // Saved before [DONE] is passed on: the consumer stops reading there and cancels this task.
                    if payload.data.trimmingCharacters(in: .whitespaces) == "[DONE]" { try await save() }
                    continuation.yield(payload)
                }
                // Only complete streams are kept: a broken one throws above and would replay as a truncated reply.
                try await save()
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in forwarder.cancel() }
        return stream
    }

    private func claim(_ endpoint: LLMEndpoint, _ request: JSONValue) async -> (Int, CassetteInteraction?) {
        let claimed = await cassette.claim(endpoint: endpoint, request: request)
        return (claimed.occurrence, claimed.recording)
    }

    private func liveOrMiss(_ endpoint: LLMEndpoint, _ request: JSONValue, _ occurrence: Int) async throws
        -> any LLMTransport
    {
        await meter?.recordCassette(hit: false)
        guard mode != .replay, let live else {
            throw LLMError.cassetteMiss(await cassette.miss(endpoint: endpoint, request: request, occurrence: occurrence))
        }
        return live
    }

    private func replay(_ chunks: [CassetteInteraction.Chunk]) -> AsyncThrowingStream<StreamPayload, any Error> {
        let speed = replaySpeed
        let clock = self.clock
        let (stream, continuation) = AsyncThrowingStream<StreamPayload, any Error>.makeStream()
        let player = Task {
            var previous = 0.0
            do {
                for chunk in chunks {
                    if speed > 0, chunk.offsetMs > previous {
                        try await clock.sleep(for: .microseconds((chunk.offsetMs - previous) * speed * 1000))
                    }
                    previous = max(previous, chunk.offsetMs)
                    continuation.yield(StreamPayload(data: chunk.data, offset: .microseconds(chunk.offsetMs * 1000)))
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in player.cancel() }
        return stream
    }
}
