import Foundation

/// Where computed embedding vectors are kept, keyed by (model, input type, text), so nothing is embedded twice.
public protocol EmbeddingCache: Sendable {
    /// The cached vectors for `texts`, in order; `nil` where a text is not cached.
    func vectors(for texts: [String], model: String, inputType: String?) async throws -> [[Float]?]
    /// Stores vectors for texts.
    func store(_ vectors: [[Float]], for texts: [String], model: String, inputType: String?) async throws
}

/// The one key a vector is kept under in this process: model, input type and text.
func embeddingKey(model: String, inputType: String?, text: String) -> String {
    "\(model)\u{1F}\(inputType ?? "")\u{1F}\(text)"
}

/// An embedding cache in memory, for tests and throwaway runs.
public actor InMemoryEmbeddingCache: EmbeddingCache {
    private var entries: [String: [Float]] = [:]

    public init() {}

    public func vectors(for texts: [String], model: String, inputType: String?) -> [[Float]?] {
        texts.map { entries[embeddingKey(model: model, inputType: inputType, text: $0)] }
    }

    public func store(_ vectors: [[Float]], for texts: [String], model: String, inputType: String?) {
        for (text, vector) in zip(texts, vectors) { entries[embeddingKey(model: model, inputType: inputType, text: text)] = vector }
    }

    /// Number of cached vectors.
    public var count: Int { entries.count }
}
