import Foundation

/// Twins in the embedded SQLite database.
public struct SQLiteTwinStore: TwinStore {
    public let database: SQLiteDatabase

    public init(database: SQLiteDatabase) { self.database = database }

    static let columns = """
        id, name, source_type, profile, system_prompt, file_name, md5, format, pages, characters, chunk_count, language,
        page_starts, created_at, updated_at
        """

    public func twins() async throws -> [TwinRecord] {
        try await database.read { try $0.query("SELECT \(Self.columns) FROM twins ORDER BY id").map(Self.record) }
    }

    public func twin(id: Int) async throws -> TwinRecord? {
        try await database.read { try $0.query("SELECT \(Self.columns) FROM twins WHERE id = ?", [.integer(Int64(id))]).first.map(Self.record) }
    }

    public func twin(md5: String) async throws -> TwinRecord? {
        try await database.read { try $0.query("SELECT \(Self.columns) FROM twins WHERE md5 = ?", [.text(md5)]).first.map(Self.record) }
    }

    public func createTwin(_ twin: TwinRecord, chunks: [DocumentChunk], vectors: [[Float]], embeddingModel: String) async throws -> TwinRecord {
        guard vectors.isEmpty || vectors.count == chunks.count else {
            throw RetrievalError.misalignedInputs(units: chunks.count, termLists: chunks.count, vectors: vectors.count)
        }
        let profile = try StoreJSON.encode(twin.profile)
        let pageStarts = try StoreJSON.encode(twin.pageStarts)
        return try await database.write { connection in
            do {
                if try !connection.query("SELECT 1 FROM twins WHERE md5 = ?", [.text(twin.md5)]).isEmpty {
                    throw DuplicateKey(key: "twin with md5 \(twin.md5)")
                }
                try connection.query(
                    """
                    INSERT INTO twins (name, source_type, profile, system_prompt, file_name, md5, format, pages, characters,
                        chunk_count, language, page_starts, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                    [
                        .text(twin.name), .text(twin.sourceType.rawValue), .text(profile), .text(twin.systemPrompt),
                        .text(twin.fileName), .text(twin.md5), .text(twin.format.rawValue), .integer(Int64(twin.pages)),
                        .integer(Int64(twin.characters)), .integer(Int64(chunks.count)), .text(twin.language), .text(pageStarts),
                        .real(twin.createdAt.timeIntervalSince1970), .real(twin.updatedAt.timeIntervalSince1970),
                    ])
                let id = Int(connection.lastInsertRowID)
                for chunk in chunks {
                    try connection.query(
                        """
                        INSERT INTO twin_chunks (twin_id, chunk_index, text, first_page, last_page, char_start, char_end, overlap)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                        [
                            .integer(Int64(id)), .integer(Int64(chunk.index)), .text(chunk.text), .integer(Int64(chunk.pages.lowerBound)),
                            .integer(Int64(chunk.pages.upperBound)), .integer(Int64(chunk.characters.lowerBound)),
                            .integer(Int64(chunk.characters.upperBound)), .integer(Int64(chunk.overlap)),
                        ])
                }
                try Self.insertVectors(vectors, chunks: chunks, twinID: id, embeddingModel: embeddingModel, connection: connection)
                var stored = twin
                stored.id = id
                stored.chunkCount = chunks.count
                return stored
            }
        }
    }

    public func updateTwin(id: Int, name: String, profile: TwinProfile, systemPrompt: String, at date: Date) async throws -> TwinRecord? {
        let profileJSON = try StoreJSON.encode(profile)
        return try await database.write { connection in
            try connection.query(
                "UPDATE twins SET name = ?, profile = ?, system_prompt = ?, updated_at = ? WHERE id = ?",
                [.text(name), .text(profileJSON), .text(systemPrompt), .real(date.timeIntervalSince1970), .integer(Int64(id))])
            return try connection.query("SELECT \(Self.columns) FROM twins WHERE id = ?", [.integer(Int64(id))]).first.map(Self.record)
        }
    }

    public func deleteTwin(id: Int) async throws -> Bool {
        try await database.write { connection in
            do {
                guard try !connection.query("SELECT 1 FROM twins WHERE id = ?", [.integer(Int64(id))]).isEmpty else { return false }
                for table in ["twin_messages", "twin_chunk_vectors", "twin_chunks"] {
                    try connection.query("DELETE FROM \(table) WHERE twin_id = ?", [.integer(Int64(id))])
                }
                try connection.query("DELETE FROM twins WHERE id = ?", [.integer(Int64(id))])
                return true
            }
        }
    }

    public func chunks(twinID: Int) async throws -> [DocumentChunk] {
        try await database.read { connection in
            try connection.query(
                """
                SELECT chunk_index, text, first_page, last_page, char_start, char_end, overlap FROM twin_chunks
                WHERE twin_id = ? ORDER BY chunk_index
                """, [.integer(Int64(twinID))]
            ).map { row in
                let first = try row.int(2, "twin_chunks.first_page")
                let last = try row.int(3, "twin_chunks.last_page")
                let start = try row.int(4, "twin_chunks.char_start")
                let end = try row.int(5, "twin_chunks.char_end")
                guard first <= last, start <= end else {
                    throw StoreError.corruptRow(column: "twin_chunks", found: "pages \(first)–\(last), characters \(start)–\(end)", expected: "ordered ranges")
                }
                return DocumentChunk(
                    index: try row.int(0, "twin_chunks.chunk_index"), text: try row.string(1, "twin_chunks.text"), pages: first...last,
                    characters: start..<end, overlap: try row.int(6, "twin_chunks.overlap"))
            }
        }
    }

    public func chunkVectors(twinID: Int, embeddingModel: String) async throws -> [[Float]]? {
        let rows = try await database.read { connection in
            try connection.query(
                "SELECT vector FROM twin_chunk_vectors WHERE twin_id = ? AND embedding_model = ? ORDER BY chunk_index",
                [.integer(Int64(twinID)), .text(embeddingModel)]
            ).map { VectorCodec.decode(try $0.data(0, "twin_chunk_vectors.vector")) }
        }
        return rows.isEmpty ? nil : rows
    }

    public func storeChunkVectors(twinID: Int, vectors: [[Float]], embeddingModel: String) async throws {
        let chunks = try await chunks(twinID: twinID)
        guard vectors.count == chunks.count else {
            throw RetrievalError.misalignedInputs(units: chunks.count, termLists: chunks.count, vectors: vectors.count)
        }
        try await database.write { connection in
            do {
                try connection.query(
                    "DELETE FROM twin_chunk_vectors WHERE twin_id = ? AND embedding_model = ?",
                    [.integer(Int64(twinID)), .text(embeddingModel)])
                try Self.insertVectors(vectors, chunks: chunks, twinID: twinID, embeddingModel: embeddingModel, connection: connection)
            }
        }
    }

    public func appendMessages(_ messages: [TwinMessage]) async throws {
        let rows = try messages.map { ($0, try StoreJSON.encode($0.citations)) }
        try await database.write { connection in
            do {
                for (message, citations) in rows {
                    try connection.query(
                        "INSERT INTO twin_messages (twin_id, session_id, sender, text, citations, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                        [
                            .integer(Int64(message.twinID)), .text(message.sessionID), .text(message.sender), .text(message.text),
                            .text(citations), .real(message.createdAt.timeIntervalSince1970),
                        ])
                }
            }
        }
    }

    public func messages(twinID: Int, sessionID: String, limit: Int) async throws -> [TwinMessage] {
        try await database.read { connection in
            try connection.query(
                """
                SELECT sender, text, citations, created_at FROM (SELECT id, sender, text, citations, created_at FROM twin_messages
                    WHERE twin_id = ? AND session_id = ? ORDER BY id DESC LIMIT ?) ORDER BY id
                """, [.integer(Int64(twinID)), .text(sessionID), .integer(Int64(max(0, limit)))]
            ).map { row in
                TwinMessage(
                    twinID: twinID, sessionID: sessionID, sender: try row.string(0, "twin_messages.sender"),
                    text: try row.string(1, "twin_messages.text"),
                    citations: try StoreJSON.decode([Citation].self, try row.string(2, "twin_messages.citations"), column: "twin_messages.citations"),
                    createdAt: Date(timeIntervalSince1970: try row.double(3, "twin_messages.created_at")))
            }
        }
    }

    // MARK: - Rows

    static func insertVectors(_ vectors: [[Float]], chunks: [DocumentChunk], twinID: Int, embeddingModel: String, connection: SQLiteConnection) throws {
        for (chunk, vector) in zip(chunks, vectors) {
            try connection.query(
                "INSERT INTO twin_chunk_vectors (twin_id, embedding_model, chunk_index, vector) VALUES (?, ?, ?, ?)",
                [.integer(Int64(twinID)), .text(embeddingModel), .integer(Int64(chunk.index)), .blob(VectorCodec.encode(vector))])
        }
    }

    static func record(_ row: [SQLiteValue]) throws -> TwinRecord {
        let sourceText = try row.string(2, "twins.source_type")
        guard let sourceType = TwinSourceType(rawValue: sourceText) else {
            throw StoreError.corruptRow(column: "twins.source_type", found: sourceText, expected: "person, book or topic")
        }
        let formatText = try row.string(7, "twins.format")
        guard let format = DocumentText.Format(rawValue: formatText) else {
            throw StoreError.corruptRow(column: "twins.format", found: formatText, expected: "pdf, text or markdown")
        }
        return TwinRecord(
            id: try row.int(0, "twins.id"), name: try row.string(1, "twins.name"), sourceType: sourceType,
            profile: try StoreJSON.decode(TwinProfile.self, try row.string(3, "twins.profile"), column: "twins.profile"),
            systemPrompt: try row.string(4, "twins.system_prompt"), fileName: try row.string(5, "twins.file_name"),
            md5: try row.string(6, "twins.md5"), format: format, pages: try row.int(8, "twins.pages"),
            characters: try row.int(9, "twins.characters"), chunkCount: try row.int(10, "twins.chunk_count"),
            language: try row.string(11, "twins.language"),
            pageStarts: try StoreJSON.decode([Int].self, try row.string(12, "twins.page_starts"), column: "twins.page_starts"),
            createdAt: Date(timeIntervalSince1970: try row.double(13, "twins.created_at")),
            updatedAt: Date(timeIntervalSince1970: try row.double(14, "twins.updated_at")))
    }
}
