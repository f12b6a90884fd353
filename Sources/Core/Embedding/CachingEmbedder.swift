/// Embeds texts through the LLM client, asking the cache first and embedding each missing text once.
public struct CachingEmbedder: Sendable {
    public let client: LLMClient
    public let cache: any EmbeddingCache
    /// The latest questions' vectors, in this process: customer service is asked the same questions again and again,
    /// and each would otherwise be a read of the cache's store.
    private let recent: RecentVectors

    public init(client: LLMClient, cache: any EmbeddingCache, recentQuestions: Int = 256) {
        self.client = client
        self.cache = cache
        self.recent = RecentVectors(capacity: recentQuestions)
    }

    /// Vectors for `texts`, in order.
    public func embed(_ texts: [String], model: String? = nil, inputType: String? = nil) async throws -> [[Float]] {
        let model = model ?? client.models.embedding
        // One text is a question; batches (imports) go to the cache alone and would only churn the recent ones.
        guard texts.count == 1 else { return try await embedThroughCache(texts, model: model, inputType: inputType) }
        let key = embeddingKey(model: model, inputType: inputType, text: texts[0])
        if let vector = recent.vector(for: key) { return [vector] }
        let vectors = try await embedThroughCache(texts, model: model, inputType: inputType)
        recent.remember(vectors[0], for: key)
        return vectors
    }

    private func embedThroughCache(_ texts: [String], model: String, inputType: String?) async throws -> [[Float]] {
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
