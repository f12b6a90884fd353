import Foundation

/// An embeddings request for one batch of texts.
public struct EmbeddingRequest: Sendable, Hashable {
    public var model: String
    public var inputs: [String]
    /// E5-style servers pick the "query:" or "passage:" prefix from this; others ignore it.
    public var inputType: String?
    public var dimensions: Int?

    public init(model: String, inputs: [String], inputType: String? = nil, dimensions: Int? = nil) {
        self.model = model
        self.inputs = inputs
        self.inputType = inputType
        self.dimensions = dimensions
    }

    /// The JSON body sent to `/embeddings`.
    public var body: JSONValue {
        var body: [String: JSONValue] = [
            "model": .string(model),
            "input": .array(inputs.map(JSONValue.string)),
            "encoding_format": "float",
        ]
        if let inputType { body["input_type"] = .string(inputType) }
        if let dimensions { body["dimensions"] = .number(Double(dimensions)) }
        return .object(body)
    }
}

/// The vectors for one batch, in input order.
public struct EmbeddingResult: Sendable, Hashable {
    public var model: String
    public var vectors: [[Float]]
    public var usage: TokenUsage?

    public init(model: String, vectors: [[Float]], usage: TokenUsage?) {
        self.model = model
        self.vectors = vectors
        self.usage = usage
    }

    /// Reads an OpenAI `list` of embeddings, ordering by `index`.
    static func parse(_ json: JSONValue, expectedCount: Int) throws -> EmbeddingResult {
        guard let data = json["data"]?.arrayValue else {
            throw LLMError.malformedResponse("embedding response has no data array")
        }
        var vectors = [[Float]?](repeating: nil, count: expectedCount)
        for (position, item) in data.enumerated() {
            let index: Int
            if let given = item["index"], given != .null {
                guard let number = given.intValue else {
                    throw LLMError.malformedResponse("embedding index \(given.preview) is not a whole number")
                }
                index = number
            } else {
                index = position
            }
            guard vectors.indices.contains(index) else {
                throw LLMError.malformedResponse("embedding index \(index) outside 0..<\(expectedCount)")
            }
            guard let values = item["embedding"]?.arrayValue else {
                throw LLMError.malformedResponse("embedding \(index) is not an array of numbers")
            }
            var vector = [Float]()
            vector.reserveCapacity(values.count)
            for value in values {
                guard let number = value.doubleValue, Float(number).isFinite else {
                    throw LLMError.malformedResponse("embedding \(index) holds a value that is not a finite Float32")
                }
                vector.append(Float(number))
            }
            vectors[index] = vector
        }
        let complete = vectors.compactMap { $0 }
        guard complete.count == expectedCount else {
            throw LLMError.malformedResponse("expected \(expectedCount) embeddings, got \(complete.count)")
        }
        return EmbeddingResult(
            model: json["model"]?.stringValue ?? "", vectors: complete, usage: TokenUsage(json: json["usage"]))
    }
}
