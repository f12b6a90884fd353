import Foundation
import PostgresNIO
import VividCrowdCore

/// Conversations of every mode in PostgreSQL.
public struct PostgresConversationStore: ConversationStore {
    let backend: PostgresBackend

    public func openSession(id: String, mode: ConversationMode, at date: Date) async throws -> ConversationSession {
        let logger = backend.logger
        return try await backend.write { connection in
            try await connection.run(
                """
                INSERT INTO conversation_sessions (id, mode, created_at) VALUES (\(id), \(mode.rawValue), \(date.timeIntervalSince1970))
                ON CONFLICT (id) DO NOTHING
                """, logger: logger)
            guard let session = try await Self.session(connection, id: id, logger: logger) else {
                throw StoreError.corruptRow(column: "conversation_sessions.id", found: "no row after insert", expected: id)
            }
            return session
        }
    }

    public func conversation(id: String) async throws -> ConversationSession? {
        try await backend.read { try await Self.session($0, id: id, logger: backend.logger) }
    }

    public func appendLines(_ lines: [ConversationLine], sessionID: String, keepLast: Int?) async throws {
        let logger = backend.logger
        try await backend.write { connection in
            try await Self.append(lines, sessionID: sessionID, connection: connection, logger: logger)
            if let keepLast {
                try await connection.run(
                    """
                    DELETE FROM conversation_turns WHERE session_id = \(sessionID) AND id NOT IN
                        (SELECT id FROM conversation_turns WHERE session_id = \(sessionID) ORDER BY id DESC LIMIT \(max(0, keepLast)))
                    """, logger: logger)
            }
        }
    }

    public func lines(sessionID: String, limit: Int) async throws -> [ConversationLine] {
        try await backend.read { connection in
            try await connection.rows(
                """
                SELECT sender, text, created_at FROM
                    (SELECT id, sender, text, created_at FROM conversation_turns WHERE session_id = \(sessionID)
                     ORDER BY id DESC LIMIT \(max(0, limit))) AS recent
                ORDER BY id
                """, logger: backend.logger
            ).map { row in
                let (sender, text, created) = try row.decode((String, String, Double).self)
                return ConversationLine(sender: sender, text: text, createdAt: Date(timeIntervalSince1970: created))
            }
        }
    }

    public func incrementDailyCount(_ key: String, day: String) async throws -> Int {
        let logger = backend.logger
        return try await backend.write { connection in
            try await connection.rows(
                """
                INSERT INTO daily_counts (key, day, count) VALUES (\(key), \(day), 1)
                ON CONFLICT (key, day) DO UPDATE SET count = daily_counts.count + 1
                RETURNING count
                """, logger: logger
            ).first.map { try $0.decode(Int.self) } ?? 0
        }
    }

    public func dailyCounts(_ keys: [String], day: String) async throws -> [String: Int] {
        try await backend.read { connection in
            var counts = Dictionary(uniqueKeysWithValues: keys.map { ($0, 0) })
            for row in try await connection.rows(
                "SELECT key, count FROM daily_counts WHERE day = \(day) AND key = ANY(\(keys))", logger: backend.logger)
            {
                let (key, count) = try row.decode((String, Int).self)
                counts[key] = count
            }
            return counts
        }
    }

    /// Appends lines, in order, inside the caller's transaction.
    private static func append(_ lines: [ConversationLine], sessionID: String, connection: PostgresConnection, logger: Logger) async throws {
        guard !lines.isEmpty else { return }
        try await connection.run(
            """
            INSERT INTO conversation_turns (session_id, created_at, sender, text)
            SELECT \(sessionID), created_at, sender, text
            FROM unnest(\(lines.map(\.createdAt.timeIntervalSince1970)), \(lines.map(\.sender)), \(lines.map(\.text)))
                WITH ORDINALITY AS line (created_at, sender, text, position)
            ORDER BY position
            """, logger: logger)
    }

    private static func session(_ connection: PostgresConnection, id: String, logger: Logger) async throws -> ConversationSession? {
        try await connection.rows("SELECT id, mode, created_at FROM conversation_sessions WHERE id = \(id)", logger: logger)
            .first.map { row in
                let (id, mode, created) = try row.decode((String, String, Double).self)
                return ConversationSession(id: id, mode: ConversationMode(rawValue: mode), createdAt: Date(timeIntervalSince1970: created))
            }
    }
}
