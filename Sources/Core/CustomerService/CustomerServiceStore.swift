import Foundation

/// What the customer-service mode keeps: the knowledge base with its import registry, sessions and turn logs.
/// SQLite implements it today; a PostgreSQL store can take its place without touching the mode.
public protocol CustomerServiceStore: Sendable {
    /// The registry record of a file, if it was imported.
    func registryRecord(fileName: String) async throws -> RegistryRecord?
    /// The registry record of a file with these exact bytes, under whatever name, if one was imported.
    func registryRecord(md5: String) async throws -> RegistryRecord?
    /// Replaces every row of `fileName` with `entries` and updates the registry, in one transaction.
    /// Returns how many rows were removed.
    func replaceKnowledgeBase(
        fileName: String, md5: String, encoding: String, entries: [KnowledgeEntry], keywords: [[String]], at date: Date
    ) async throws -> Int
    /// Every stored entry, in import order.
    func knowledgeEntries() async throws -> [StoredQAEntry]
    /// Number of stored entries.
    func knowledgeEntryCount() async throws -> Int

    /// The calibration fitted for the knowledge base and an embedding model, if any.
    func calibration(embeddingModel: String) async throws -> RetrievalCalibration?
    /// Stores the calibration for the knowledge base and an embedding model.
    func storeCalibration(_ calibration: RetrievalCalibration, embeddingModel: String, at date: Date) async throws

    /// Creates a session.
    func createSession(id: String, at date: Date) async throws -> SessionRecord
    /// A session, or nil.
    func session(id: String) async throws -> SessionRecord?
    /// Appends a turn and bumps the session's message count; marks the session handed off when the turn did.
    func appendTurn(_ turn: TurnLog, handoffReason: String?) async throws
    /// The turns of a session, oldest first.
    func turns(sessionID: String) async throws -> [TurnLog]
    /// Stores a rating.
    func rate(sessionID: String, rating: Int, comment: String?) async throws
    /// Moves a session's handoff to `state`.
    func setHandoffState(sessionID: String, state: HandoffState) async throws
    /// Exact counts over every session and turn.
    func stats() async throws -> CustomerServiceStats
}

/// The customer-service store in the embedded SQLite database.
public struct SQLiteCustomerServiceStore: CustomerServiceStore {
    public let database: SQLiteDatabase

    public init(database: SQLiteDatabase) { self.database = database }

    public func registryRecord(fileName: String) async throws -> RegistryRecord? {
        try await database.read { connection in
            try connection.query("SELECT file_name, md5, row_count FROM csv_registry WHERE file_name = ?", [.text(fileName)])
                .first.map { RegistryRecord(fileName: $0[0].string ?? "", md5: $0[1].string ?? "", rowCount: $0[2].int ?? 0) }
        }
    }

    public func registryRecord(md5: String) async throws -> RegistryRecord? {
        try await database.read { connection in
            try connection.query(
                "SELECT file_name, md5, row_count FROM csv_registry WHERE md5 = ? ORDER BY imported_at LIMIT 1", [.text(md5)]
            ).first.map { RegistryRecord(fileName: $0[0].string ?? "", md5: $0[1].string ?? "", rowCount: $0[2].int ?? 0) }
        }
    }

    public func replaceKnowledgeBase(
        fileName: String, md5: String, encoding: String, entries: [KnowledgeEntry], keywords: [[String]], at date: Date
    ) async throws -> Int {
        precondition(entries.count == keywords.count, "one keyword list per entry")
        let now = date.timeIntervalSince1970
        return try await database.write { connection in
            let removed = try connection.query(
                "SELECT COUNT(*) FROM customer_service_qa WHERE source_file = ?", [.text(fileName)]
            ).first?.first?.int ?? 0
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
                    id: row[0].int ?? 0, sourceFile: row[1].string ?? "",
                    entry: KnowledgeEntry(
                        line: row[2].int ?? 0, questionCount: row[3].int ?? 0, topicName: row[4].string ?? "",
                        phrasings: try Self.strings(row[5].string), standardScript: row[6].string ?? "",
                        riskNotes: row[7].string ?? ""),
                    keywords: try Self.strings(row[8].string))
            }
        }
    }

    public func knowledgeEntryCount() async throws -> Int {
        try await database.read { try $0.query("SELECT COUNT(*) FROM customer_service_qa").first?.first?.int ?? 0 }
    }

    public func calibration(embeddingModel: String) async throws -> RetrievalCalibration? {
        try await database.read { connection in
            try connection.query(
                "SELECT calibration FROM kb_calibration WHERE embedding_model = ?", [.text(embeddingModel)]
            ).first?.first?.string.map { try JSONDecoder().decode(RetrievalCalibration.self, from: Data($0.utf8)) }
        }
    }

    public func storeCalibration(_ calibration: RetrievalCalibration, embeddingModel: String, at date: Date) async throws {
        let json = String(decoding: try JSONEncoder().encode(calibration), as: UTF8.self)
        try await database.write { connection in
            try connection.query(
                """
                INSERT INTO kb_calibration (embedding_model, calibration, query_count, created_at) VALUES (?, ?, ?, ?)
                ON CONFLICT(embedding_model) DO UPDATE SET calibration = excluded.calibration,
                    query_count = excluded.query_count, created_at = excluded.created_at
                """,
                [.text(embeddingModel), .text(json), .integer(Int64(calibration.calibrationQueries)),
                 .real(date.timeIntervalSince1970)])
        }
    }

    public func createSession(id: String, at date: Date) async throws -> SessionRecord {
        try await database.write { connection in
            try connection.query(
                "INSERT INTO customer_service_sessions (id, created_at) VALUES (?, ?)",
                [.text(id), .real(date.timeIntervalSince1970)])
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
                    id: row[0].string ?? id, createdAt: Date(timeIntervalSince1970: row[1].double ?? 0),
                    messageCount: row[2].int ?? 0, rating: row[3].int, ratingComment: row[4].string,
                    transferToHuman: (row[5].int ?? 0) != 0, handoffReason: row[6].string,
                    handoffState: row[7].string.flatMap(HandoffState.init(rawValue:)))
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
                TurnLog(
                    sessionID: sessionID, createdAt: Date(timeIntervalSince1970: row[0].double ?? 0),
                    query: row[1].string ?? "", response: row[2].string ?? "", topic: row[3].string,
                    matchedQuestion: row[4].string, confidence: row[5].double ?? 0,
                    matchType: row[6].string.flatMap(MatchBand.init(rawValue:)) ?? .noMatch,
                    llmUsed: (row[7].int ?? 0) != 0, transferToHuman: (row[8].int ?? 0) != 0,
                    latencyMs: row[9].double ?? 0)
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

    public func setHandoffState(sessionID: String, state: HandoffState) async throws {
        try await database.write { connection in
            try connection.query(
                "UPDATE customer_service_sessions SET handoff_state = ? WHERE id = ?",
                [.text(state.rawValue), .text(sessionID)])
        }
    }

    public func stats() async throws -> CustomerServiceStats {
        try await database.read { connection in
            let sessions = try connection.query(
                """
                SELECT COUNT(*), COALESCE(SUM(transfer_to_human), 0), COUNT(rating), AVG(rating)
                FROM customer_service_sessions
                """
            ).first ?? []
            // Handoff turns are not matched: they count as messages but not towards confidence or bands.
            let turns = try connection.query(
                """
                SELECT COUNT(*), AVG(CASE WHEN transfer_to_human = 0 THEN confidence END), COALESCE(SUM(transfer_to_human), 0)
                FROM customer_service_logs
                """
            ).first ?? []
            var distribution = Dictionary(uniqueKeysWithValues: MatchBand.allCases.map { ($0.rawValue, 0) })
            for row in try connection.query(
                "SELECT match_type, COUNT(*) FROM customer_service_logs WHERE transfer_to_human = 0 GROUP BY match_type")
            {
                if let band = row[0].string { distribution[band] = row[1].int ?? 0 }
            }
            let hits = try connection.query(
                """
                SELECT qa_topic, COUNT(*) AS hits FROM customer_service_logs WHERE qa_topic IS NOT NULL
                GROUP BY qa_topic ORDER BY hits DESC, qa_topic
                """
            ).map { CustomerServiceStats.TopicHits(topic: $0[0].string ?? "", hits: $0[1].int ?? 0) }
            let total = sessions.first?.int ?? 0
            let transferred = sessions.count > 1 ? sessions[1].int ?? 0 : 0
            return CustomerServiceStats(
                totalSessions: total, totalMessages: turns.first?.int ?? 0,
                handoffMessages: turns.count > 2 ? turns[2].int ?? 0 : 0,
                avgConfidence: turns.count > 1 ? turns[1].double ?? 0 : 0,
                transferRate: total == 0 ? 0 : Double(transferred) / Double(total) * 100,
                transferredSessions: transferred, matchTypeDistribution: distribution,
                averageRating: sessions.count > 3 ? sessions[3].double : nil,
                ratedSessions: sessions.count > 2 ? sessions[2].int ?? 0 : 0, topicHits: hits)
        }
    }

    private static func json(_ strings: [String]) throws -> String {
        String(decoding: try JSONEncoder().encode(strings), as: UTF8.self)
    }

    private static func strings(_ json: String?) throws -> [String] {
        guard let json else { return [] }
        return try JSONDecoder().decode([String].self, from: Data(json.utf8))
    }
}
