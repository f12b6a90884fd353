import Foundation

/// The two OpenAI-compatible operations VividCrowd uses.
public enum LLMEndpoint: String, Sendable, Codable, CaseIterable {
    case chatCompletions = "chat/completions"
    case embeddings
}

/// One payload of a streamed reply: the raw `data:` text and when it arrived, measured from the request.
public struct StreamPayload: Sendable, Hashable {
    public var data: String
    public var offset: Duration

    public init(data: String, offset: Duration) {
        self.data = data
        self.offset = offset
    }
}

/// Moves request bodies to an OpenAI-compatible server (or a cassette) and brings back raw replies.
///
/// The client above it owns parsing, so a recorded reply and a live one go through the same code.
public protocol LLMTransport: Sendable {
    /// Sends a request and returns the JSON reply.
    func send(_ endpoint: LLMEndpoint, body: JSONValue) async throws -> JSONValue
    /// Sends a streaming request and yields each SSE `data:` payload as it arrives.
    func stream(_ endpoint: LLMEndpoint, body: JSONValue) async throws -> AsyncThrowingStream<StreamPayload, any Error>
}
