import Foundation
import VividCrowdCore

/// A live transport double that answers deterministically and counts calls; stream chunks carry offsets `chunkGap`
/// apart, as if the server had paused between them.
public actor ScriptedTransport: LLMTransport {
    public private(set) var sends = 0
    public private(set) var streams = 0
    public let chunkGap: Duration

    public init(chunkGap: Duration = .zero) { self.chunkGap = chunkGap }

    public func send(_ endpoint: LLMEndpoint, body: JSONValue) async throws -> JSONValue {
        sends += 1
        switch endpoint {
        case .embeddings:
            return OpenAIFixtures.embeddings(body["input"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        case .chatCompletions:
            let last = body["messages"]?.arrayValue?.last?["content"]?.stringValue ?? ""
            return OpenAIFixtures.completion("reply \(sends) to \(last)")
        default:
            throw LLMError.badRequest(status: 404, message: "the scripted transport does not serve \(endpoint.rawValue)")
        }
    }

    public nonisolated func stream(_ endpoint: LLMEndpoint, body: JSONValue) async throws -> AsyncThrowingStream<StreamPayload, any Error> {
        let number = await countStream()
        let gap = chunkGap
        let payloads = ["alpha ", "beta ", "#\(number)"].map { OpenAIFixtures.chunk($0) } + [OpenAIFixtures.chunk(nil, finish: "stop"), "data: [DONE]\n\n"]
        return AsyncThrowingStream { continuation in
            var offset = Duration.zero
            for payload in payloads {
                offset += gap
                let data = String(payload.dropFirst("data: ".count).dropLast(2))
                continuation.yield(StreamPayload(data: data, offset: offset))
            }
            continuation.finish()
        }
    }

    private func countStream() -> Int {
        streams += 1
        return streams
    }
}
