import Foundation

/// Where computed embedding vectors are kept, keyed by (model, input type, text), so nothing is embedded twice.
public protocol EmbeddingCache: Sendable {
    /// The cached vectors for `texts`, in order; `nil` where a text is not cached.
    func vectors(for texts: [String], model: String, inputType: String?) async throws -> [[Float]?]
    /// Stores vectors for texts.
    func store(_ vectors: [[Float]], for texts: [String], model: String, inputType: String?) async throws
}

/// An embedding cache in memory, for tests and throwaway runs.
public actor InMemoryEmbeddingCache: EmbeddingCache {
    private var entries: [String: [Float]] = [:]

    public init() {}

    public func vectors(for texts: [String], model: String, inputType: String?) -> [[Float]?] {
        texts.map { entries[Self.key(model, inputType, $0)] }
    }

    public func store(_ vectors: [[Float]], for texts: [String], model: String, inputType: String?) {
        for (text, vector) in zip(texts, vectors) { entries[Self.key(model, inputType, text)] = vector }
    }

    /// Number of cached vectors.
    public var count: Int { entries.count }

    private static func key(_ model: String, _ inputType: String?, _ text: String) -> String {
        "\(model)\u{1F}\(inputType ?? "")\u{1F}\(text)"
    }
}
