import Foundation
import PostgresNIO
import VividCrowdCore

/// The customer-service store in PostgreSQL: the same tables and semantics as SQLite's, so any instance on the same
/// database serves any session.
public struct PostgresCustomerServiceStore: CustomerServiceStore {
    let backend: PostgresBackend

    /// The corpus name customer service's knowledge base is versioned under.
    static let corpus = "customer-service"

    public func corpusVersion() async throws -> Int {
        try await backend.read { connection in
            try await connection.rows("SELECT version FROM corpus_versions WHERE corpus = \(Self.corpus)", logger: backend.logger)
                .first.map { try $0.decode(Int.self) } ?? 0
        }
    }

    public func registryRecord(fileName: String) async throws -> RegistryRecord? {
        try await backend.read { connection in
            try await connection.rows(
                "SELECT file_name, md5, row_count FROM csv_registry WHERE file_name = \(fileName)", logger: backend.logger
            ).first.map(Self.registryRecord)
        }
    }

    public func registryRecord(md5: String) async throws -> RegistryRecord? {
        try await backend.read { connection in
            try await connection.rows(
                "SELECT file_name, md5, row_count FROM csv_registry WHERE md5 = \(md5) ORDER BY imported_at LIMIT 1",
                logger: backend.logger
            ).first.map(Self.registryRecord)
        }
    }

    public func replaceKnowledgeBase(
        fileName: String, md5: String, encoding: String, entries: [KnowledgeEntry], keywords: [[String]],
        selfCalibration: SelfCalibrationUpdate?, at date: Date
    ) async throws -> Int {
        try SelfCalibrationUpdate.checkAligned(entries: entries.count, keywordLists: keywords.count)
        let now = date.timeIntervalSince1970
        let phrasings = try entries.map { try StoreJSON.encode($0.phrasings) }
        let keywordJSON = try keywords.map { try StoreJSON.encode($0) }
        let calibrationJSON = try selfCalibration?.calibration.map { try StoreJSON.encode($0) }
        let logger = backend.logger
        return try await backend.write { connection in
            // Imports of the knowledge base take turns, so two instances importing at once cannot interleave.
            try await connection.run("SELECT pg_advisory_xact_lock(\(PostgresMigrations.lockKey + 1))", logger: logger)
            let removed = try await connection.run(
                "DELETE FROM customer_service_qa WHERE source_file = \(fileName) RETURNING 1", logger: logger)
            try await connection.run(
                """
                INSERT INTO csv_registry (file_name, md5, row_count, encoding, imported_at)
                VALUES (\(fileName), \(md5), \(entries.count), \(encoding), \(now))
                ON CONFLICT (file_name) DO UPDATE SET md5 = excluded.md5, row_count = excluded.row_count,
                    encoding = excluded.encoding, imported_at = excluded.imported_at
                """, logger: logger)
            // All rows in one statement, in import order (the identity follows the array's order).
            try await connection.run(
                """
                INSERT INTO customer_service_qa (source_file, line, question_count, topic_name, typical_question,
                    phrasings, standard_script, risk_notes, keywords, created_at)
                SELECT \(fileName), line, question_count, topic_name, typical_question, phrasings, standard_script,
                    risk_notes, keywords, \(now)
                FROM unnest(\(entries.map(\.line)), \(entries.map(\.questionCount)), \(entries.map(\.topicName)),
                    \(entries.map(\.typicalQuestion)), \(phrasings), \(entries.map(\.standardScript)),
                    \(entries.map(\.riskNotes)), \(keywordJSON))
                    WITH ORDINALITY AS row (line, question_count, topic_name, typical_question, phrasings,
                        standard_script, risk_notes, keywords, position)
                ORDER BY position
                """, logger: logger)
            if let update = selfCalibration {
                let stored = try await connection.rows(
                    "SELECT calibration FROM kb_calibration WHERE embedding_model = \(update.embeddingModel) FOR UPDATE",
                    logger: logger
                ).first.map { try $0.decode(String.self) }
                if update.replaces(storedJSON: stored) {
                    try await connection.run(
                        "DELETE FROM kb_calibration WHERE embedding_model = \(update.embeddingModel)", logger: logger)
                    if let calibration = update.calibration, let json = calibrationJSON {
                        try await Self.insertCalibration(
                            connection, json: json, queries: calibration.calibrationQueries,
                            embeddingModel: update.embeddingModel, at: now, logger: logger)
                    }
                }
            }
            try await Self.bumpCorpusVersion(connection, logger: logger)
            return removed
        }
    }

    public func knowledgeEntries() async throws -> [StoredQAEntry] {
        try await backend.read { connection in
            try await connection.rows(
                """
                SELECT id, source_file, line, question_count, topic_name, phrasings, standard_script, risk_notes, keywords
                FROM customer_service_qa ORDER BY id
                """, logger: backend.logger
            ).map { row in
                let (id, source, line, questionCount, topic, phrasings, script, risk, keywords) = try row.decode(
                    (Int, String, Int, Int, String, String, String, String, String).self)
                return StoredQAEntry(
                    id: id, sourceFile: source,
                    entry: KnowledgeEntry(
                        line: line, questionCount: questionCount, topicName: topic,
                        phrasings: try StoreJSON.decode([String].self, phrasings, column: "customer_service_qa.phrasings"),
                        standardScript: script, riskNotes: risk),
                    keywords: try StoreJSON.decode([String].self, keywords, column: "customer_service_qa.keywords"))
            }
        }
    }

    public func knowledgeEntryCount() async throws -> Int {
        try await backend.read { connection in
            try await connection.rows("SELECT COUNT(*) FROM customer_service_qa", logger: backend.logger)
                .first.map { try $0.decode(Int.self) } ?? 0
        }
    }

    public func calibration(embeddingModel: String) async throws -> RetrievalCalibration? {
        try await backend.read { connection in
            try await connection.rows(
                "SELECT calibration FROM kb_calibration WHERE embedding_model = \(embeddingModel)", logger: backend.logger
            ).first.map {
                try StoreJSON.decode(RetrievalCalibration.self, try $0.decode(String.self), column: "kb_calibration.calibration")
            }
        }
    }

    public func storeCalibration(_ calibration: RetrievalCalibration, embeddingModel: String, at date: Date) async throws {
        let json = try StoreJSON.encode(calibration)
        let logger = backend.logger
        try await backend.write { connection in
            try await Self.insertCalibration(
                connection, json: json, queries: calibration.calibrationQueries, embeddingModel: embeddingModel,
                at: date.timeIntervalSince1970, logger: logger)
            try await Self.bumpCorpusVersion(connection, logger: logger)
        }
    }

    public func createSession(id: String, at date: Date) async throws -> SessionRecord {
        let time = date.timeIntervalSince1970
        let logger = backend.logger
        // One statement, so one round trip and atomic by itself.
        try await backend.read { connection in
            try await connection.run(
                """
                WITH session AS (
                    INSERT INTO customer_service_sessions (id, created_at) VALUES (\(id), \(time)) RETURNING id
                )
                INSERT INTO conversation_sessions (id, mode, created_at)
                SELECT id, \(ConversationMode.customerService.rawValue), \(time) FROM session
                """, logger: logger)
        }
        return SessionRecord(
            id: id, createdAt: date, messageCount: 0, rating: nil, ratingComment: nil, transferToHuman: false,
            handoffReason: nil, handoffState: nil)
    }

    public func session(id: String) async throws -> SessionRecord? {
        try await backend.read { connection in
            try await connection.rows(
                """
                SELECT id, created_at, message_count, rating, rating_comment, transfer_to_human, handoff_reason, handoff_state
                FROM customer_service_sessions WHERE id = \(id)
                """, logger: backend.logger
            ).first.map { row in
                let (id, created, count, rating, comment, transferred, reason, state) = try row.decode(
                    (String, Double, Int, Int?, String?, Bool, String?, String?).self)
                return SessionRecord(
                    id: id, createdAt: Date(timeIntervalSince1970: created), messageCount: count, rating: rating,
                    ratingComment: comment, transferToHuman: transferred, handoffReason: reason,
                    handoffState: try state.map { try HandoffState.stored($0, column: "customer_service_sessions.handoff_state") })
            }
        }
    }

    public func appendTurn(_ turn: TurnLog, handoffReason: String?) async throws {
        let logger = backend.logger
        let lines = turn.transcript
        // The turn, the session's count (and handoff) and the transcript lines in one statement: one round trip on
        // the hot path, atomic by itself. A session handed off once stays handed off; a later request does not
        // reopen a closed handoff.
        try await backend.read { connection in
            try await connection.run(
                """
                WITH logged AS (
                    INSERT INTO customer_service_logs (session_id, created_at, query, response, qa_topic, qa_question,
                        confidence, match_type, llm_used, transfer_to_human, latency_ms)
                    VALUES (\(turn.sessionID), \(turn.createdAt.timeIntervalSince1970), \(turn.query), \(turn.response),
                        \(turn.topic), \(turn.matchedQuestion), \(turn.confidence), \(turn.matchType.rawValue),
                        \(turn.llmUsed), \(turn.transferToHuman), \(turn.latencyMs))
                    RETURNING 1
                ), counted AS (
                    UPDATE customer_service_sessions SET message_count = message_count + 1,
                        transfer_to_human = transfer_to_human OR \(turn.transferToHuman),
                        handoff_reason = CASE WHEN \(turn.transferToHuman) THEN COALESCE(handoff_reason, \(handoffReason))
                            ELSE handoff_reason END,
                        handoff_state = CASE WHEN \(turn.transferToHuman) THEN COALESCE(handoff_state, 'pending')
                            ELSE handoff_state END
                    WHERE id = \(turn.sessionID)
                    RETURNING 1
                )
                INSERT INTO conversation_turns (session_id, created_at, sender, text)
                SELECT \(turn.sessionID), created_at, sender, text
                FROM unnest(\(lines.map(\.createdAt.timeIntervalSince1970)), \(lines.map(\.sender)), \(lines.map(\.text)))
                    WITH ORDINALITY AS line (created_at, sender, text, position)
                ORDER BY position
                """, logger: logger)
        }
    }

    public func turns(sessionID: String) async throws -> [TurnLog] {
        try await backend.read { connection in
            try await connection.rows(
                """
                SELECT created_at, query, response, qa_topic, qa_question, confidence, match_type, llm_used,
                    transfer_to_human, latency_ms
                FROM customer_service_logs WHERE session_id = \(sessionID) ORDER BY id
                """, logger: backend.logger
            ).map { row in
                let (created, query, response, topic, question, confidence, band, llmUsed, transferred, latency) =
                    try row.decode((Double, String, String, String?, String?, Double, String, Bool, Bool, Double).self)
                let matchType = try MatchBand.stored(band, column: "customer_service_logs.match_type")
                return TurnLog(
                    sessionID: sessionID, createdAt: Date(timeIntervalSince1970: created), query: query,
                    response: response, topic: topic, matchedQuestion: question, confidence: confidence,
                    matchType: matchType, llmUsed: llmUsed, transferToHuman: transferred, latencyMs: latency)
            }
        }
    }

    public func rate(sessionID: String, rating: Int, comment: String?) async throws {
        let logger = backend.logger
        try await backend.write { connection in
            try await connection.run(
                "UPDATE customer_service_sessions SET rating = \(rating), rating_comment = \(comment) WHERE id = \(sessionID)",
                logger: logger)
        }
    }

    public func moveHandoffState(sessionID: String, from expected: HandoffState, to state: HandoffState) async throws -> Bool {
        let logger = backend.logger
        return try await backend.write { connection in
            try await connection.run(
                """
                UPDATE customer_service_sessions SET handoff_state = \(state.rawValue)
                WHERE id = \(sessionID) AND handoff_state = \(expected.rawValue) RETURNING 1
                """, logger: logger) > 0
        }
    }

    public func stats() async throws -> CustomerServiceStats {
        let logger = backend.logger
        // One snapshot for every aggregate, so the counts agree with each other while sessions are being written.
        return try await backend.write { connection in
            try await connection.run("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", logger: logger)
            guard let sessions = try await connection.rows(
                """
                SELECT COUNT(*), COUNT(*) FILTER (WHERE transfer_to_human), COUNT(rating), AVG(rating)::double precision
                FROM customer_service_sessions
                """, logger: logger
            ).first else { throw StoreError.corruptRow(column: "stats", found: "no row", expected: "one aggregate row") }
            // Handoff turns are not matched: they count as messages but not towards confidence or bands.
            guard let turns = try await connection.rows(
                """
                SELECT COUNT(*), AVG(confidence) FILTER (WHERE NOT transfer_to_human), COUNT(*) FILTER (WHERE transfer_to_human)
                FROM customer_service_logs
                """, logger: logger
            ).first else { throw StoreError.corruptRow(column: "stats", found: "no row", expected: "one aggregate row") }
            var distribution = Dictionary(uniqueKeysWithValues: MatchBand.allCases.map { ($0.rawValue, 0) })
            for row in try await connection.rows(
                "SELECT match_type, COUNT(*) FROM customer_service_logs WHERE NOT transfer_to_human GROUP BY match_type",
                logger: logger)
            {
                let (band, count) = try row.decode((String, Int).self)
                distribution[band] = count
            }
            let hits = try await connection.rows(
                """
                SELECT qa_topic, COUNT(*) AS hits FROM customer_service_logs WHERE qa_topic IS NOT NULL
                GROUP BY qa_topic ORDER BY hits DESC, qa_topic COLLATE "C"
                """, logger: logger
            ).map { row in
                let (topic, count) = try row.decode((String, Int).self)
                return CustomerServiceStats.TopicHits(topic: topic, hits: count)
            }
            let (total, transferred, rated, meanRating) = try sessions.decode((Int, Int, Int, Double?).self)
            let (messages, meanConfidence, handoffs) = try turns.decode((Int, Double?, Int).self)
            return CustomerServiceStats(
                totalSessions: total, totalMessages: messages, handoffMessages: handoffs,
                avgConfidence: meanConfidence ?? 0,
                transferredSessions: transferred, matchTypeDistribution: distribution, averageRating: meanRating,
                ratedSessions: rated, topicHits: hits)
        }
    }

    private static func insertCalibration(
        _ connection: PostgresConnection, json: String, queries: Int, embeddingModel: String, at time: Double,
        logger: Logger
    ) async throws {
        try await connection.run(
            """
            INSERT INTO kb_calibration (embedding_model, calibration, query_count, created_at)
            VALUES (\(embeddingModel), \(json), \(queries), \(time))
            ON CONFLICT (embedding_model) DO UPDATE SET calibration = excluded.calibration,
                query_count = excluded.query_count, created_at = excluded.created_at
            """, logger: logger)
    }

    private static func bumpCorpusVersion(_ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.run(
            """
            INSERT INTO corpus_versions (corpus, version) VALUES (\(corpus), 1)
            ON CONFLICT (corpus) DO UPDATE SET version = corpus_versions.version + 1
            """, logger: logger)
    }

    private static func registryRecord(_ row: PostgresRow) throws -> RegistryRecord {
        let (fileName, md5, rows) = try row.decode((String, String, Int).self)
        return RegistryRecord(fileName: fileName, md5: md5, rowCount: rows)
    }
}
