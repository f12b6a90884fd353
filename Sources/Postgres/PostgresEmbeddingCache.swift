import Foundation
import NIOCore
import PostgresNIO
import VividCrowdCore

/// The embedding cache in PostgreSQL: little-endian Float32 `bytea`, keyed by model, input type and the text's MD5
/// (texts can outgrow a B-tree entry), with the text itself compared on the way out.
public struct PostgresEmbeddingCache: EmbeddingCache {
    let backend: PostgresBackend

    public func vectors(for texts: [String], model: String, inputType: String?) async throws -> [[Float]?] {
        guard !texts.isEmpty else { return [] }
        let unique = Array(Set(texts))
        let found: [String: [Float]] = try await backend.read { connection in
            var found: [String: [Float]] = [:]
            for row in try await connection.rows(
                """
                SELECT text, vector FROM embedding_cache
                WHERE model = \(model) AND input_type = \(inputType ?? "")
                    AND md5(text) IN (SELECT md5(wanted) FROM unnest(\(unique)) AS wanted)
                """, logger: backend.logger)
            {
                let (text, vector) = try row.decode((String, Data).self)
                found[text] = VectorCodec.decode(vector)
            }
            return found
        }
        return texts.map { found[$0] }
    }

    public func store(_ vectors: [[Float]], for texts: [String], model: String, inputType: String?) async throws {
        // The last vector given for a text wins, as repeated INSERT OR REPLACE does in SQLite.
        var latest: [String: [Float]] = [:]
        var order: [String] = []
        for (text, vector) in zip(texts, vectors) {
            if latest.updateValue(vector, forKey: text) == nil { order.append(text) }
        }
        guard !order.isEmpty else { return }
        let texts = order
        let blobs = order.map { ByteBuffer(data: VectorCodec.encode(latest[$0]!)) }
        let dimensions = order.map { latest[$0]!.count }
        let now = Date().timeIntervalSince1970
        let logger = backend.logger
        try await backend.write { connection in
            try await connection.run(
                """
                INSERT INTO embedding_cache (model, input_type, text, dimension, vector, created_at)
                SELECT \(model), \(inputType ?? ""), text, dimension, vector, \(now)
                FROM unnest(\(texts), \(dimensions), \(blobs)) AS given (text, dimension, vector)
                ON CONFLICT (model, input_type, md5(text)) DO UPDATE SET
                    text = excluded.text, dimension = excluded.dimension, vector = excluded.vector,
                    created_at = excluded.created_at
                """, logger: logger)
        }
    }
}
