import Foundation

/// The embedding cache in the SQLite store: little-endian Float32 BLOBs with model and dimension.
public struct SQLiteEmbeddingCache: EmbeddingCache {
    public let database: SQLiteDatabase

    public init(database: SQLiteDatabase) { self.database = database }

    public func vectors(for texts: [String], model: String, inputType: String?) async throws -> [[Float]?] {
        try await database.read { connection in
            try texts.map { text in
                let rows = try connection.query(
                    "SELECT vector FROM embedding_cache WHERE model = ? AND input_type = ? AND text = ?",
                    [.text(model), .text(inputType ?? ""), .text(text)])
                return try rows.first.map { VectorCodec.decode(try $0.data(0, "embedding_cache.vector")) }
            }
        }
    }

    public func store(_ vectors: [[Float]], for texts: [String], model: String, inputType: String?) async throws {
        let now = Date().timeIntervalSince1970
        try await database.write { connection in
            for (text, vector) in zip(texts, vectors) {
                try connection.query(
                    """
                    INSERT OR REPLACE INTO embedding_cache (model, input_type, text, dimension, vector, created_at)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """,
                    [.text(model), .text(inputType ?? ""), .text(text), .integer(Int64(vector.count)),
                     .blob(VectorCodec.encode(vector)), .real(now)])
            }
        }
    }
}
