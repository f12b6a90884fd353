import Foundation
import VividCrowdCore

/// A transport double whose chat calls answer with `replies` in order (the last one repeated) and which keeps every
/// request body, for tests of structured calls and their retries.
public actor RepliesTransport: LLMTransport {
    public let replies: [String]
    public private(set) var bodies: [JSONValue] = []

    public init(_ replies: [String]) { self.replies = replies }

    public func send(_ endpoint: LLMEndpoint, body: JSONValue) async throws -> JSONValue {
        bodies.append(body)
        return OpenAIFixtures.completion(replies[min(bodies.count - 1, replies.count - 1)])
    }

    public nonisolated func stream(_ endpoint: LLMEndpoint, body: JSONValue) async throws -> AsyncThrowingStream<StreamPayload, any Error> {
        AsyncThrowingStream { $0.finish() }
    }

    /// The first message's text of request `index`: the prompt a structured call sent.
    public func prompt(_ index: Int = 0) -> String {
        bodies.indices.contains(index) ? bodies[index]["messages"]?.arrayValue?.first?["content"]?.stringValue ?? "" : ""
    }

    /// The last message's text of request `index`: on a retry, what the model was told about its previous answer.
    public func lastMessage(_ index: Int) -> String {
        bodies.indices.contains(index) ? bodies[index]["messages"]?.arrayValue?.last?["content"]?.stringValue ?? "" : ""
    }
}
