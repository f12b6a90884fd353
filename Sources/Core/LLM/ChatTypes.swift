import Foundation

/// One message of a chat conversation.
public struct ChatMessage: Sendable, Hashable, Codable {
    /// Who wrote a message.
    public enum Role: String, Sendable, Codable, CaseIterable { case system, user, assistant }

    public var role: Role
    public var content: String

    public init(role: Role, content: String) {
        self.role = role
        self.content = content
    }

    public static func system(_ content: String) -> ChatMessage { ChatMessage(role: .system, content: content) }
    public static func user(_ content: String) -> ChatMessage { ChatMessage(role: .user, content: content) }
    public static func assistant(_ content: String) -> ChatMessage { ChatMessage(role: .assistant, content: content) }
}

/// The requested shape of a chat reply.
public enum ResponseFormat: Sendable, Hashable {
    /// Free text.
    case text
    /// A JSON object; `schema` is sent only to servers that accept it (llama.cpp compiles it to a grammar).
    case jsonObject(schema: JSONValue? = nil)
}

/// A chat-completion request in OpenAI's terms.
public struct ChatRequest: Sendable, Hashable {
    public var model: String
    public var messages: [ChatMessage]
    public var temperature: Double?
    public var seed: Int?
    public var maxTokens: Int?
    public var topP: Double?
    public var responseFormat: ResponseFormat
    /// Extra top-level body fields for servers with extensions; they take part in the cassette key.
    public var extraBody: [String: JSONValue]

    public init(
        model: String, messages: [ChatMessage], temperature: Double? = nil, seed: Int? = nil,
        maxTokens: Int? = nil, topP: Double? = nil, responseFormat: ResponseFormat = .text,
        extraBody: [String: JSONValue] = [:]
    ) {
        self.model = model
        self.messages = messages
        self.temperature = temperature
        self.seed = seed
        self.maxTokens = maxTokens
        self.topP = topP
        self.responseFormat = responseFormat
        self.extraBody = extraBody
    }

    /// The JSON body sent to `/chat/completions`.
    public func body(stream: Bool) -> JSONValue {
        var body: [String: JSONValue] = extraBody
        body["model"] = .string(model)
        body["messages"] = .array(messages.map { ["role": .string($0.role.rawValue), "content": .string($0.content)] })
        if let temperature { body["temperature"] = .number(temperature) }
        if let seed { body["seed"] = .number(Double(seed)) }
        if let maxTokens { body["max_tokens"] = .number(Double(maxTokens)) }
        if let topP { body["top_p"] = .number(topP) }
        switch responseFormat {
        case .text: break
        case .jsonObject(let schema):
            var format: [String: JSONValue] = ["type": "json_object"]
            if let schema { format["schema"] = schema }
            body["response_format"] = .object(format)
        }
        if stream { body["stream"] = true }
        return .object(body)
    }
}

/// Token counts reported by the server.
public struct TokenUsage: Sendable, Hashable, Codable {
    public var promptTokens: Int
    public var completionTokens: Int
    public var totalTokens: Int { promptTokens + completionTokens }

    public init(promptTokens: Int, completionTokens: Int) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
    }

    /// Counts no reply can really report; larger (or negative, or fractional) ones are taken as absent, so sums
    /// of them cannot overflow.
    static let plausibleTokens = 0...(1 << 31)

    /// The usage a server reported; nil when it reported none, or none that is plausible.
    init?(json: JSONValue?) {
        guard let json, let prompt = json["prompt_tokens"]?.intValue, Self.plausibleTokens.contains(prompt) else {
            return nil
        }
        let completion = json["completion_tokens"]?.intValue ?? 0
        self.init(promptTokens: prompt, completionTokens: Self.plausibleTokens.contains(completion) ? completion : 0)
    }
}

/// A complete chat reply.
public struct ChatCompletion: Sendable, Hashable {
    public var model: String
    public var content: String
    public var finishReason: String?
    public var usage: TokenUsage?

    public init(model: String, content: String, finishReason: String?, usage: TokenUsage?) {
        self.model = model
        self.content = content
        self.finishReason = finishReason
        self.usage = usage
    }

    /// Reads an OpenAI `chat.completion` object.
    static func parse(_ json: JSONValue) throws -> ChatCompletion {
        guard let choice = json["choices"]?[0] else {
            throw LLMError.malformedResponse("chat completion has no choices[0]")
        }
        guard let content = choice["message"]?["content"]?.stringValue else {
            throw LLMError.malformedResponse("chat completion choices[0].message.content is missing or not text")
        }
        return ChatCompletion(
            model: json["model"]?.stringValue ?? "",
            content: content,
            finishReason: choice["finish_reason"]?.stringValue,
            usage: TokenUsage(json: json["usage"]))
    }
}

/// One event of a streamed chat reply.
public enum ChatStreamEvent: Sendable, Hashable {
    /// New text.
    case delta(String)
    /// The end of the reply, with its finish reason and, when the server sent one, the usage.
    case finished(reason: String?, usage: TokenUsage?)
}

extension AsyncSequence where Element == ChatStreamEvent {
    /// Collects a stream into the text it carries and its finish reason.
    public func collectText() async throws -> (text: String, finishReason: String?) {
        var text = ""
        var reason: String?
        for try await event in self {
            switch event {
            case .delta(let piece): text += piece
            case .finished(let finish, _): reason = finish
            }
        }
        return (text, reason)
    }
}
