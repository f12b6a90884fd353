import Foundation
import NIOCore
import PostgresNIO
import VividCrowdCore

/// Twins in PostgreSQL: a twin, its chunks and vectors are written in one transaction and deleted with it.
public struct PostgresTwinStore: TwinStore {
    let backend: PostgresBackend

    static let columns = """
        SELECT id, name, source_type, profile, system_prompt, file_name, md5, format, pages, characters, chunk_count,
            language, page_starts, created_at, updated_at FROM twins
        """

    public func twins() async throws -> [TwinRecord] {
        try await backend.read { try await $0.rows(Self.select("ORDER BY id"), logger: backend.logger).map(Self.record) }
    }

    public func twin(id: Int) async throws -> TwinRecord? {
        try await backend.read { connection in
            try await connection.rows(Self.select(where: "id", id), logger: backend.logger).first.map(Self.record)
        }
    }

    public func twin(md5: String) async throws -> TwinRecord? {
        try await backend.read { connection in
            try await connection.rows(Self.select(where: "md5", md5), logger: backend.logger).first.map(Self.record)
        }
    }

    public func createTwin(_ twin: TwinRecord, chunks: [DocumentChunk], vectors: [[Float]], embeddingModel: String) async throws -> TwinRecord {
        guard vectors.isEmpty || vectors.count == chunks.count else {
            throw RetrievalError.misalignedInputs(units: chunks.count, termLists: chunks.count, vectors: vectors.count)
        }
        let profile = try StoreJSON.encode(twin.profile)
        let pageStarts = try StoreJSON.encode(twin.pageStarts)
        let logger = backend.logger
        return try await uniqueMD5(twin.md5, what: "twin") {
            try await backend.write { connection in
                guard let id = try await connection.rows(
                    """
                    INSERT INTO twins (name, source_type, profile, system_prompt, file_name, md5, format, pages, characters,
                        chunk_count, language, page_starts, created_at, updated_at)
                    VALUES (\(twin.name), \(twin.sourceType.rawValue), \(profile), \(twin.systemPrompt), \(twin.fileName),
                        \(twin.md5), \(twin.format.rawValue), \(twin.pages), \(twin.characters), \(chunks.count),
                        \(twin.language), \(pageStarts), \(twin.createdAt.timeIntervalSince1970),
                        \(twin.updatedAt.timeIntervalSince1970))
                    RETURNING id
                    """, logger: logger
                ).first.map({ try $0.decode(Int.self) }) else {
                    throw StoreError.corruptRow(column: "twins.id", found: "no id returned", expected: "the new twin's id")
                }
                if !chunks.isEmpty {
                    try await connection.run(
                        """
                        INSERT INTO twin_chunks (twin_id, chunk_index, text, first_page, last_page, char_start, char_end, overlap)
                        SELECT \(id), * FROM unnest(\(chunks.map(\.index)), \(chunks.map(\.text)),
                            \(chunks.map(\.pages.lowerBound)), \(chunks.map(\.pages.upperBound)),
                            \(chunks.map(\.characters.lowerBound)), \(chunks.map(\.characters.upperBound)),
                            \(chunks.map(\.overlap)))
                        """, logger: logger)
                }
                try await Self.insertVectors(vectors, chunks: chunks, twinID: id, embeddingModel: embeddingModel, connection: connection, logger: logger)
                var stored = twin
                stored.id = id
                stored.chunkCount = chunks.count
                return stored
            }
        }
    }

    public func updateTwin(id: Int, name: String, profile: TwinProfile, systemPrompt: String, at date: Date) async throws -> TwinRecord? {
        let profileJSON = try StoreJSON.encode(profile)
        let logger = backend.logger
        return try await backend.write { connection in
            try await connection.run(
                """
                UPDATE twins SET name = \(name), profile = \(profileJSON), system_prompt = \(systemPrompt),
                    updated_at = \(date.timeIntervalSince1970) WHERE id = \(id)
                """, logger: logger)
            return try await connection.rows(Self.select(where: "id", id), logger: logger).first.map(Self.record)
        }
    }

    public func deleteTwin(id: Int) async throws -> Bool {
        let logger = backend.logger
        // Chunks, vectors and messages go with it (ON DELETE CASCADE).
        return try await backend.write { try await $0.run("DELETE FROM twins WHERE id = \(id) RETURNING 1", logger: logger) > 0 }
    }

    public func chunks(twinID: Int) async throws -> [DocumentChunk] {
        try await backend.read { connection in
            try await connection.rows(
                """
                SELECT chunk_index, text, first_page, last_page, char_start, char_end, overlap FROM twin_chunks
                WHERE twin_id = \(twinID) ORDER BY chunk_index
                """, logger: backend.logger
            ).map { row in
                let (index, text, first, last, start, end, overlap) = try row.decode((Int, String, Int, Int, Int, Int, Int).self)
                guard first <= last, start <= end else {
                    throw StoreError.corruptRow(
                        column: "twin_chunks", found: "pages \(first)–\(last), characters \(start)–\(end)", expected: "ordered ranges")
                }
                return DocumentChunk(index: index, text: text, pages: first...last, characters: start..<end, overlap: overlap)
            }
        }
    }

    public func chunkVectors(twinID: Int, embeddingModel: String) async throws -> [[Float]]? {
        let vectors = try await backend.read { connection in
            try await connection.rows(
                """
                SELECT vector FROM twin_chunk_vectors WHERE twin_id = \(twinID) AND embedding_model = \(embeddingModel)
                ORDER BY chunk_index
                """, logger: backend.logger
            ).map { VectorCodec.decode(try $0.decode(Data.self)) }
        }
        return vectors.isEmpty ? nil : vectors
    }

    public func storeChunkVectors(twinID: Int, vectors: [[Float]], embeddingModel: String) async throws {
        let chunks = try await chunks(twinID: twinID)
        guard vectors.count == chunks.count else {
            throw RetrievalError.misalignedInputs(units: chunks.count, termLists: chunks.count, vectors: vectors.count)
        }
        let logger = backend.logger
        try await backend.write { connection in
            try await connection.run(
                "DELETE FROM twin_chunk_vectors WHERE twin_id = \(twinID) AND embedding_model = \(embeddingModel)", logger: logger)
            try await Self.insertVectors(vectors, chunks: chunks, twinID: twinID, embeddingModel: embeddingModel, connection: connection, logger: logger)
        }
    }

    public func appendMessages(_ messages: [TwinMessage]) async throws {
        guard !messages.isEmpty else { return }
        let citations = try messages.map { try StoreJSON.encode($0.citations) }
        let logger = backend.logger
        try await backend.write { connection in
            try await connection.run(
                """
                INSERT INTO twin_messages (twin_id, session_id, sender, text, citations, created_at)
                SELECT twin_id, session_id, sender, text, citations, created_at
                FROM unnest(\(messages.map(\.twinID)), \(messages.map(\.sessionID)), \(messages.map(\.sender)),
                    \(messages.map(\.text)), \(citations), \(messages.map(\.createdAt.timeIntervalSince1970)))
                    WITH ORDINALITY AS message (twin_id, session_id, sender, text, citations, created_at, position)
                ORDER BY position
                """, logger: logger)
        }
    }

    public func messages(twinID: Int, sessionID: String, limit: Int) async throws -> [TwinMessage] {
        try await backend.read { connection in
            try await connection.rows(
                """
                SELECT sender, text, citations, created_at FROM (SELECT id, sender, text, citations, created_at FROM twin_messages
                    WHERE twin_id = \(twinID) AND session_id = \(sessionID) ORDER BY id DESC LIMIT \(max(0, limit))) AS recent
                ORDER BY id
                """, logger: backend.logger
            ).map { row in
                let (sender, text, citations, created) = try row.decode((String, String, String, Double).self)
                return TwinMessage(
                    twinID: twinID, sessionID: sessionID, sender: sender, text: text,
                    citations: try StoreJSON.decode([Citation].self, citations, column: "twin_messages.citations"),
                    createdAt: Date(timeIntervalSince1970: created))
            }
        }
    }

    // MARK: - Rows

    static func select(_ tail: String) -> PostgresQuery {
        PostgresQuery(unsafeSQL: columns + " " + tail)
    }

    static func select(where column: String, _ value: some PostgresNonThrowingEncodable & Sendable) -> PostgresQuery {
        bound(columns + " WHERE \(column) = $1", value)
    }

    static func insertVectors(
        _ vectors: [[Float]], chunks: [DocumentChunk], twinID: Int, embeddingModel: String, connection: PostgresConnection,
        logger: Logger
    ) async throws {
        guard !vectors.isEmpty else { return }
        let blobs = vectors.map { ByteBuffer(data: VectorCodec.encode($0)) }
        try await connection.run(
            """
            INSERT INTO twin_chunk_vectors (twin_id, embedding_model, chunk_index, vector)
            SELECT \(twinID), \(embeddingModel), * FROM unnest(\(chunks.prefix(vectors.count).map(\.index)), \(blobs))
            """, logger: logger)
    }

    static func record(_ row: PostgresRow) throws -> TwinRecord {
        let (id, name, sourceText, profile, prompt, fileName, md5, formatText, pages, characters, chunkCount, language, pageStarts, created, updated) =
            try row.decode((Int, String, String, String, String, String, String, String, Int, Int, Int, String, String, Double, Double).self)
        guard let sourceType = TwinSourceType(rawValue: sourceText) else {
            throw StoreError.corruptRow(column: "twins.source_type", found: sourceText, expected: "person, book or topic")
        }
        guard let format = DocumentText.Format(rawValue: formatText) else {
            throw StoreError.corruptRow(column: "twins.format", found: formatText, expected: "pdf, text or markdown")
        }
        return TwinRecord(
            id: id, name: name, sourceType: sourceType,
            profile: try StoreJSON.decode(TwinProfile.self, profile, column: "twins.profile"), systemPrompt: prompt,
            fileName: fileName, md5: md5, format: format, pages: pages, characters: characters, chunkCount: chunkCount,
            language: language, pageStarts: try StoreJSON.decode([Int].self, pageStarts, column: "twins.page_starts"),
            createdAt: Date(timeIntervalSince1970: created), updatedAt: Date(timeIntervalSince1970: updated))
    }
}

/// The same bytes stored twice, by this instance or another at the same moment, lose on the unique index: that is
/// the `DuplicateKey` the other backends throw.
func uniqueMD5<T>(_ md5: String, what: String, _ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as PSQLError where error.sqlState == "23505" {
        throw DuplicateKey(key: "\(what) with md5 \(md5)")
    }
}
