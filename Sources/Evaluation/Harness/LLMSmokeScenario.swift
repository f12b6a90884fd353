import Foundation
import VividCrowdCore

/// A fixed conversation and embedding batch that exercises the whole LLM path: streamed and whole chat replies,
/// JSON output, and embeddings. Used to record cassettes against real servers and to replay them offline.
public struct LLMSmokeScenario: Sendable {
    /// What one run produced.
    public struct Transcript: Sendable, Codable, Equatable {
        public struct Turn: Sendable, Codable, Equatable {
            public var prompt: String
            public var reply: String
            public var streamed: Bool
            public var ttftMs: Double?
            public var totalMs: Double

            enum CodingKeys: String, CodingKey {
                case prompt, reply, streamed
                case ttftMs = "ttft_ms"
                case totalMs = "total_ms"
            }
        }

        public var turns: [Turn]
        public var embeddedTexts: [String]
        /// Per text: dimension and the first values, enough to compare runs without storing whole vectors.
        public var embeddingFingerprints: [[Float]]
    }

    public static let prompts = [
        "In one sentence, what does a customer service agent do?",
        "Name three fruits, separated by commas.",
        "Reply with a JSON object with keys \"city\" and \"country\" for the capital of France.",
    ]

    public static let embeddingTexts = [
        "How do I reset my password?",
        "I want a refund for my order",
        "What are your opening hours?",
        "我的订单什么时候发货？",
        "The card payment was declined twice",
    ]

    public let client: LLMClient

    /// The scenario over a client; the client decides whether the JSON prompt carries llama.cpp's schema.
    public init(client: LLMClient) { self.client = client }

    /// Runs the scenario: prompts 1 and 2 streamed, prompt 3 whole with JSON output, then one embedding batch.
    public func run(clock: any Clock<Duration> = ContinuousClock()) async throws -> Transcript {
        var turns: [Transcript.Turn] = []
        for prompt in Self.prompts.prefix(2) {
            let timing = try await client.timedStream(request(prompt), clock: clock)
            turns.append(.init(prompt: prompt, reply: timing.text, streamed: true, ttftMs: timing.timeToFirstTokenMs, totalMs: timing.totalMs))
        }
        let jsonPrompt = Self.prompts[2]
        var jsonRequest = request(jsonPrompt)
        let schema: JSONValue = [
            "type": "object", "properties": ["city": ["type": "string"], "country": ["type": "string"]],
            "required": ["city", "country"],
        ]
        jsonRequest.responseFormat = .jsonObject(schema: client.sendsLocalSchema ? schema : nil)
        let elapsed = startStopwatch(on: clock)
        let whole = try await client.complete(jsonRequest)
        turns.append(.init(prompt: jsonPrompt, reply: whole.content, streamed: false, ttftMs: nil, totalMs: elapsed().seconds * 1000))

        let vectors = try await client.embed(Self.embeddingTexts, inputType: "query")
        return Transcript(
            turns: turns, embeddedTexts: Self.embeddingTexts,
            embeddingFingerprints: vectors.map { [Float($0.count)] + $0.prefix(4) })
    }

    private func request(_ prompt: String) -> ChatRequest {
        ChatRequest(
            model: client.models.chat,
            messages: [.system("You are a concise, helpful assistant."), .user(prompt)],
            temperature: 0, seed: 42, maxTokens: 48)
    }
}
