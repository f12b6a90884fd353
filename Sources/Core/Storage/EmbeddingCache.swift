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
                return rows.first?.first?.data.map(VectorCodec.decode)
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
