/// Embeds texts through the LLM client, asking the cache first and embedding each missing text once.
public struct CachingEmbedder: Sendable {
    public let client: LLMClient
    public let cache: any EmbeddingCache

    public init(client: LLMClient, cache: any EmbeddingCache) {
        self.client = client
        self.cache = cache
    }

    /// Vectors for `texts`, in order.
    public func embed(_ texts: [String], model: String? = nil, inputType: String? = nil) async throws -> [[Float]] {
        let model = model ?? client.models.embedding
        var vectors = try await cache.vectors(for: texts, model: model, inputType: inputType)
        var missing: [String] = []
        var seen = Set<String>()
        for (text, vector) in zip(texts, vectors) where vector == nil && seen.insert(text).inserted {
            missing.append(text)
        }
        if !missing.isEmpty {
            let fresh = try await client.embed(missing, model: model, inputType: inputType)
            try await cache.store(fresh, for: missing, model: model, inputType: inputType)
            let byText = Dictionary(zip(missing, fresh), uniquingKeysWith: { first, _ in first })
            for index in vectors.indices where vectors[index] == nil { vectors[index] = byText[texts[index]] }
        }
        return vectors.map { $0! }
    }
}
