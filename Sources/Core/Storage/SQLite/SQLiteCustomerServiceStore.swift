import Foundation

/// The customer-service store in the embedded SQLite database.
public struct SQLiteCustomerServiceStore: CustomerServiceStore {
    public let database: SQLiteDatabase

    public init(database: SQLiteDatabase) { self.database = database }

    public func registryRecord(fileName: String) async throws -> RegistryRecord? {
        try await database.read { connection in
            try connection.query("SELECT file_name, md5, row_count FROM csv_registry WHERE file_name = ?", [.text(fileName)])
                .first.map(Self.registryRecord)
        }
    }

    public func registryRecord(md5: String) async throws -> RegistryRecord? {
        try await database.read { connection in
            try connection.query(
                "SELECT file_name, md5, row_count FROM csv_registry WHERE md5 = ? ORDER BY imported_at LIMIT 1", [.text(md5)]
            ).first.map(Self.registryRecord)
        }
    }

    public func replaceKnowledgeBase(
        fileName: String, md5: String, encoding: String, entries: [KnowledgeEntry], keywords: [[String]],
        selfCalibration: SelfCalibrationUpdate?, at date: Date
    ) async throws -> Int {
        try SelfCalibrationUpdate.checkAligned(entries: entries.count, keywordLists: keywords.count)
        let now = date.timeIntervalSince1970
        return try await database.write { connection in
            let removed = try Self.count(connection, "SELECT COUNT(*) FROM customer_service_qa WHERE source_file = ?", [.text(fileName)])
            try connection.query("DELETE FROM customer_service_qa WHERE source_file = ?", [.text(fileName)])
            try connection.query(
                """
                INSERT INTO csv_registry (file_name, md5, row_count, encoding, imported_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(file_name) DO UPDATE SET md5 = excluded.md5, row_count = excluded.row_count,
                    encoding = excluded.encoding, imported_at = excluded.imported_at
                """,
                [.text(fileName), .text(md5), .integer(Int64(entries.count)), .text(encoding), .real(now)])
            for (entry, words) in zip(entries, keywords) {
                try connection.query(
                    """
                    INSERT INTO customer_service_qa (source_file, line, question_count, topic_name, typical_question,
                        phrasings, standard_script, risk_notes, keywords, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                    [.text(fileName), .integer(Int64(entry.line)), .integer(Int64(entry.questionCount)),
                     .text(entry.topicName), .text(entry.typicalQuestion), .text(try Self.json(entry.phrasings)),
                     .text(entry.standardScript), .text(entry.riskNotes), .text(try Self.json(words)), .real(now)])
            }
            if let update = selfCalibration {
                let stored = try connection.query(
                    "SELECT calibration FROM kb_calibration WHERE embedding_model = ?", [.text(update.embeddingModel)]
                ).first.map { try $0.string(0, "kb_calibration.calibration") }
                if update.replaces(storedJSON: stored) {
                    try connection.query(
                        "DELETE FROM kb_calibration WHERE embedding_model = ?", [.text(update.embeddingModel)])
                    if let calibration = update.calibration {
                        try Self.insertCalibration(connection, calibration, embeddingModel: update.embeddingModel, at: now)
                    }
                }
            }
            try Self.bumpCorpusVersion(connection)
            return removed
        }
    }

    public func knowledgeEntries() async throws -> [StoredQAEntry] {
        try await database.read { connection in
            try connection.query(
                """
                SELECT id, source_file, line, question_count, topic_name, phrasings, standard_script, risk_notes, keywords
                FROM customer_service_qa ORDER BY id
                """
            ).map { row in
                StoredQAEntry(
                    id: try row.int(0, "customer_service_qa.id"), sourceFile: try row.string(1, "customer_service_qa.source_file"),
                    entry: KnowledgeEntry(
                        line: try row.int(2, "customer_service_qa.line"),
                        questionCount: try row.int(3, "customer_service_qa.question_count"),
                        topicName: try row.string(4, "customer_service_qa.topic_name"),
                        phrasings: try Self.strings(row.string(5, "customer_service_qa.phrasings"), "customer_service_qa.phrasings"),
                        standardScript: try row.string(6, "customer_service_qa.standard_script"),
                        riskNotes: try row.string(7, "customer_service_qa.risk_notes")),
                    keywords: try Self.strings(row.string(8, "customer_service_qa.keywords"), "customer_service_qa.keywords"))
            }
        }
    }

    public func knowledgeEntryCount() async throws -> Int {
        try await database.read { try Self.count($0, "SELECT COUNT(*) FROM customer_service_qa") }
    }

    public func corpusVersion() async throws -> Int {
        try await database.read { connection in
            try connection.query("SELECT version FROM corpus_versions WHERE corpus = ?", [.text(Self.corpus)])
                .first.map { try $0.int(0, "corpus_versions.version") } ?? 0
        }
    }

    public func calibration(embeddingModel: String) async throws -> RetrievalCalibration? {
        try await database.read { connection in
            try connection.query(
                "SELECT calibration FROM kb_calibration WHERE embedding_model = ?", [.text(embeddingModel)]
            ).first.map { row in try Self.decodeCalibration(try row.string(0, "kb_calibration.calibration")) }
        }
    }

    public func storeCalibration(_ calibration: RetrievalCalibration, embeddingModel: String, at date: Date) async throws {
        try await database.write { connection in
            try Self.insertCalibration(connection, calibration, embeddingModel: embeddingModel, at: date.timeIntervalSince1970)
            try Self.bumpCorpusVersion(connection)
        }
    }

    private static func decodeCalibration(_ json: String) throws -> RetrievalCalibration {
        do {
            return try JSONDecoder().decode(RetrievalCalibration.self, from: Data(json.utf8))
        } catch {
            throw StoreError.corruptRow(
                column: "kb_calibration.calibration", found: "undecodable JSON", expected: "a calibration")
        }
    }

    private static func insertCalibration(
        _ connection: SQLiteConnection, _ calibration: RetrievalCalibration, embeddingModel: String, at time: Double
    ) throws {
        let json = String(decoding: try JSONEncoder().encode(calibration), as: UTF8.self)
        try connection.query(
            """
            INSERT INTO kb_calibration (embedding_model, calibration, query_count, created_at) VALUES (?, ?, ?, ?)
            ON CONFLICT(embedding_model) DO UPDATE SET calibration = excluded.calibration,
                query_count = excluded.query_count, created_at = excluded.created_at
            """,
            [.text(embeddingModel), .text(json), .integer(Int64(calibration.calibrationQueries)), .real(time)])
    }

    public func createSession(id: String, at date: Date) async throws -> SessionRecord {
        try await database.write { connection in
            try connection.query(
                "INSERT INTO customer_service_sessions (id, created_at) VALUES (?, ?)",
                [.text(id), .real(date.timeIntervalSince1970)])
            try connection.query(
                "INSERT INTO conversation_sessions (id, mode, created_at) VALUES (?, ?, ?)",
                [.text(id), .text(ConversationMode.customerService.rawValue), .real(date.timeIntervalSince1970)])
        }
        return SessionRecord(
            id: id, createdAt: date, messageCount: 0, rating: nil, ratingComment: nil, transferToHuman: false,
            handoffReason: nil, handoffState: nil)
    }

    public func session(id: String) async throws -> SessionRecord? {
        try await database.read { connection in
            try connection.query(
                """
                SELECT id, created_at, message_count, rating, rating_comment, transfer_to_human, handoff_reason, handoff_state
                FROM customer_service_sessions WHERE id = ?
                """, [.text(id)]
            ).first.map { row in
                SessionRecord(
                    id: try row.string(0, "customer_service_sessions.id"),
                    createdAt: Date(timeIntervalSince1970: try row.double(1, "customer_service_sessions.created_at")),
                    messageCount: try row.int(2, "customer_service_sessions.message_count"),
                    rating: try row.optionalInt(3, "customer_service_sessions.rating"),
                    ratingComment: try row.optionalString(4, "customer_service_sessions.rating_comment"),
                    transferToHuman: try row.int(5, "customer_service_sessions.transfer_to_human") != 0,
                    handoffReason: try row.optionalString(6, "customer_service_sessions.handoff_reason"),
                    handoffState: try row.optionalString(7, "customer_service_sessions.handoff_state").map {
                        try HandoffState.stored($0, column: "customer_service_sessions.handoff_state")
                    })
            }
        }
    }

    public func appendTurn(_ turn: TurnLog, handoffReason: String?) async throws {
        try await database.write { connection in
            try connection.query(
                """
                INSERT INTO customer_service_logs (session_id, created_at, query, response, qa_topic, qa_question,
                    confidence, match_type, llm_used, transfer_to_human, latency_ms)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [.text(turn.sessionID), .real(turn.createdAt.timeIntervalSince1970), .text(turn.query),
                 .text(turn.response), turn.topic.map(SQLiteValue.text) ?? .null,
                 turn.matchedQuestion.map(SQLiteValue.text) ?? .null, .real(turn.confidence),
                 .text(turn.matchType.rawValue), .integer(turn.llmUsed ? 1 : 0),
                 .integer(turn.transferToHuman ? 1 : 0), .real(turn.latencyMs)])
            try connection.query(
                "UPDATE customer_service_sessions SET message_count = message_count + 1 WHERE id = ?",
                [.text(turn.sessionID)])
            try SQLiteConversationStore.append(turn.transcript, sessionID: turn.sessionID, connection: connection)
            if turn.transferToHuman {
                // A session handed off once stays handed off; a later request does not reopen a closed handoff.
                try connection.query(
                    """
                    UPDATE customer_service_sessions SET transfer_to_human = 1,
                        handoff_reason = COALESCE(handoff_reason, ?), handoff_state = COALESCE(handoff_state, 'pending')
                    WHERE id = ?
                    """, [handoffReason.map(SQLiteValue.text) ?? .null, .text(turn.sessionID)])
            }
        }
    }

    public func turns(sessionID: String) async throws -> [TurnLog] {
        try await database.read { connection in
            try connection.query(
                """
                SELECT created_at, query, response, qa_topic, qa_question, confidence, match_type, llm_used,
                    transfer_to_human, latency_ms
                FROM customer_service_logs WHERE session_id = ? ORDER BY id
                """, [.text(sessionID)]
            ).map { row in
                let matchType = try MatchBand.stored(
                    row.string(6, "customer_service_logs.match_type"), column: "customer_service_logs.match_type")
                return TurnLog(
                    sessionID: sessionID,
                    createdAt: Date(timeIntervalSince1970: try row.double(0, "customer_service_logs.created_at")),
                    query: try row.string(1, "customer_service_logs.query"),
                    response: try row.string(2, "customer_service_logs.response"),
                    topic: try row.optionalString(3, "customer_service_logs.qa_topic"),
                    matchedQuestion: try row.optionalString(4, "customer_service_logs.qa_question"),
                    confidence: try row.double(5, "customer_service_logs.confidence"), matchType: matchType,
                    llmUsed: try row.int(7, "customer_service_logs.llm_used") != 0,
                    transferToHuman: try row.int(8, "customer_service_logs.transfer_to_human") != 0,
                    latencyMs: try row.double(9, "customer_service_logs.latency_ms"))
            }
        }
    }

    public func rate(sessionID: String, rating: Int, comment: String?) async throws {
        try await database.write { connection in
            try connection.query(
                "UPDATE customer_service_sessions SET rating = ?, rating_comment = ? WHERE id = ?",
                [.integer(Int64(rating)), comment.map(SQLiteValue.text) ?? .null, .text(sessionID)])
        }
    }

    public func moveHandoffState(sessionID: String, from expected: HandoffState, to state: HandoffState) async throws -> Bool {
        try await database.write { connection in
            try connection.query(
                "UPDATE customer_service_sessions SET handoff_state = ? WHERE id = ? AND handoff_state = ?",
                [.text(state.rawValue), .text(sessionID), .text(expected.rawValue)])
            return connection.changes > 0
        }
    }

    public func stats() async throws -> CustomerServiceStats {
        try await database.read { connection in
            guard let sessions = try connection.query(
                """
                SELECT COUNT(*), COALESCE(SUM(transfer_to_human), 0), COUNT(rating), AVG(rating)
                FROM customer_service_sessions
                """
            ).first else { throw StoreError.corruptRow(column: "stats", found: "no row", expected: "one aggregate row") }
            // Handoff turns are not matched: they count as messages but not towards confidence or bands.
            guard let turns = try connection.query(
                """
                SELECT COUNT(*), AVG(CASE WHEN transfer_to_human = 0 THEN confidence END), COALESCE(SUM(transfer_to_human), 0)
                FROM customer_service_logs
                """
            ).first else { throw StoreError.corruptRow(column: "stats", found: "no row", expected: "one aggregate row") }
            var distribution = Dictionary(uniqueKeysWithValues: MatchBand.allCases.map { ($0.rawValue, 0) })
            for row in try connection.query(
                "SELECT match_type, COUNT(*) FROM customer_service_logs WHERE transfer_to_human = 0 GROUP BY match_type")
            {
                distribution[try row.string(0, "customer_service_logs.match_type")] = try row.int(1, "count")
            }
            let hits = try connection.query(
                """
                SELECT qa_topic, COUNT(*) AS hits FROM customer_service_logs WHERE qa_topic IS NOT NULL
                GROUP BY qa_topic ORDER BY hits DESC, qa_topic
                """
            ).map { CustomerServiceStats.TopicHits(topic: try $0.string(0, "customer_service_logs.qa_topic"), hits: try $0.int(1, "hits")) }
            let total = try sessions.int(0, "session count")
            let transferred = try sessions.int(1, "transferred sessions")
            return CustomerServiceStats(
                totalSessions: total, totalMessages: try turns.int(0, "message count"),
                handoffMessages: try turns.int(2, "handoff messages"),
                avgConfidence: try turns.optionalDouble(1, "mean confidence") ?? 0,
                transferredSessions: transferred, matchTypeDistribution: distribution,
                averageRating: try sessions.optionalDouble(3, "mean rating"),
                ratedSessions: try sessions.int(2, "rated sessions"), topicHits: hits)
        }
    }

    /// The corpus name customer service's knowledge base is versioned under.
    static let corpus = "customer-service"

    private static func bumpCorpusVersion(_ connection: SQLiteConnection) throws {
        try connection.query(
            """
            INSERT INTO corpus_versions (corpus, version) VALUES (?, 1)
            ON CONFLICT(corpus) DO UPDATE SET version = version + 1
            """, [.text(corpus)])
    }

    private static func count(_ connection: SQLiteConnection, _ sql: String, _ parameters: [SQLiteValue] = []) throws -> Int {
        guard let row = try connection.query(sql, parameters).first else {
            throw StoreError.corruptRow(column: "COUNT(*)", found: "no row", expected: "a count")
        }
        return try row.int(0, "COUNT(*)")
    }

    private static func registryRecord(_ row: [SQLiteValue]) throws -> RegistryRecord {
        RegistryRecord(
            fileName: try row.string(0, "csv_registry.file_name"), md5: try row.string(1, "csv_registry.md5"),
            rowCount: try row.int(2, "csv_registry.row_count"))
    }

    private static func json(_ strings: [String]) throws -> String {
        String(decoding: try JSONEncoder().encode(strings), as: UTF8.self)
    }

    private static func strings(_ json: String, _ column: String) throws -> [String] {
        guard let strings = try? JSONDecoder().decode([String].self, from: Data(json.utf8)) else {
            throw StoreError.corruptRow(column: column, found: "\"\(json.prefix(40))\"", expected: "a JSON list of strings")
        }
        return strings
    }
}
