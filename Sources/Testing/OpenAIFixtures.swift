import VividCrowdCore

/// Builders for OpenAI-shaped replies.
public enum OpenAIFixtures {
    public static func completion(_ content: String, model: String = "test-model") -> JSONValue {
        [
            "id": "chatcmpl-1", "object": "chat.completion", "model": .string(model),
            "choices": [["index": 0, "message": ["role": "assistant", "content": .string(content)], "finish_reason": "stop"]],
            "usage": ["prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10],
        ]
    }

    public static func chunk(_ content: String?, finish: String? = nil) -> String {
        var choice: [String: JSONValue] = ["index": 0, "delta": content.map { ["content": .string($0)] } ?? [:]]
        choice["finish_reason"] = finish.map(JSONValue.string) ?? .null
        let json: JSONValue = ["id": "c1", "object": "chat.completion.chunk", "choices": [.object(choice)]]
        return "data: \(json.canonicalString)\n\n"
    }

    /// An SSE stream of `pieces` as deltas, then a stop chunk and `[DONE]`.
    public static func stream(_ pieces: [String]) -> String {
        pieces.map { chunk($0) }.joined() + chunk(nil, finish: "stop") + "data: [DONE]\n\n"
    }

    public static func embeddings(_ inputs: [String]) -> JSONValue {
        .object([
            "object": "list", "model": "test-embed",
            "data": .array(inputs.enumerated().map { index, text in
                ["object": "embedding", "index": .number(Double(index)), "embedding": .array(vector(for: text).map { .number(Double($0)) })]
            }),
            "usage": ["prompt_tokens": .number(Double(inputs.count)), "total_tokens": .number(Double(inputs.count))],
        ])
    }

    /// A deterministic 4-d vector derived from the text, so tests can tell which text a vector belongs to.
    public static func vector(for text: String) -> [Float] {
        let scalars = text.unicodeScalars.map { Float($0.value % 97) }
        return [Float(text.count), scalars.first ?? 0, scalars.last ?? 0, 0.5]
    }

    public static func error(_ message: String, code: String) -> JSONValue {
        ["error": ["message": .string(message), "type": "invalid_request_error", "code": .string(code)]]
    }
}
