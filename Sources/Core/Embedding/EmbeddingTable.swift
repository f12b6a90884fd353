/// Embeds a set of texts once each, in a canonical (sorted) order, so the same texts always make the same
/// requests and one cassette serves every subset of them.
public enum EmbeddingTable {
    /// The vector of every distinct text in `texts`.
    public static func embed(
        _ texts: [String], inputType: String?, client: LLMClient, model: String? = nil
    ) async throws -> [String: [Float]] {
        let unique = Array(Set(texts)).sorted()
        let vectors = try await client.embed(unique, model: model, inputType: inputType)
        return Dictionary(uniqueKeysWithValues: zip(unique, vectors))
    }
}

extension EmbeddingTable {
    /// Embeds `texts` in the canonical order (so a suite cassette that recorded exactly these texts answers) and
    /// stores the vectors in `cache`, so later per-text lookups are cache hits and need no recording of their own.
    public static func warm(
        _ cache: any EmbeddingCache, texts: [String], inputType: String, client: LLMClient
    ) async throws {
        let table = try await embed(texts, inputType: inputType, client: client)
        try await cache.store(Array(table.values), for: Array(table.keys), model: client.models.embedding, inputType: inputType)
    }
}
