import VividCrowdCore

/// When a streamed reply's first text and its end arrived, measured from the request.
public struct StreamTiming: Sendable, Codable, Equatable {
    public var timeToFirstTokenMs: Double
    public var totalMs: Double
    public var text: String

    enum CodingKeys: String, CodingKey {
        case timeToFirstTokenMs = "ttft_ms"
        case totalMs = "total_ms"
        case text
    }
}

extension LLMClient {
    /// Streams `request` and measures time to first text and to the end on `clock`.
    public func timedStream(_ request: ChatRequest, clock: any Clock<Duration> = ContinuousClock()) async throws
        -> StreamTiming
    {
        let elapsed = startStopwatch(on: clock)
        var firstToken: Duration?
        var text = ""
        for try await event in stream(request) {
            if case .delta(let piece) = event {
                if firstToken == nil { firstToken = elapsed() }
                text += piece
            }
        }
        let total = elapsed()
        return StreamTiming(
            timeToFirstTokenMs: (firstToken ?? total).seconds * 1000, totalMs: total.seconds * 1000, text: text)
    }
}
