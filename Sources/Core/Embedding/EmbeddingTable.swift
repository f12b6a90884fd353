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
