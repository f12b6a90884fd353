import Foundation

/// Conversations in the embedded SQLite database.
public struct SQLiteConversationStore: ConversationStore {
    public let database: SQLiteDatabase

    public init(database: SQLiteDatabase) { self.database = database }

    public func openSession(id: String, mode: ConversationMode, at date: Date) async throws -> ConversationSession {
        try await database.write { connection in
            try connection.query(
                "INSERT INTO conversation_sessions (id, mode, created_at) VALUES (?, ?, ?) ON CONFLICT(id) DO NOTHING",
                [.text(id), .text(mode.rawValue), .real(date.timeIntervalSince1970)])
            guard let session = try Self.session(connection, id: id) else {
                throw StoreError.corruptRow(column: "conversation_sessions.id", found: "no row after insert", expected: id)
            }
            return session
        }
    }

    public func conversation(id: String) async throws -> ConversationSession? {
        try await database.read { try Self.session($0, id: id) }
    }

    public func appendLines(_ lines: [ConversationLine], sessionID: String, keepLast: Int?) async throws {
        try await database.write { connection in
            try Self.append(lines, sessionID: sessionID, connection: connection)
            if let keepLast {
                try connection.query(
                    """
                    DELETE FROM conversation_turns WHERE session_id = ? AND id NOT IN
                        (SELECT id FROM conversation_turns WHERE session_id = ? ORDER BY id DESC LIMIT ?)
                    """, [.text(sessionID), .text(sessionID), .integer(Int64(max(0, keepLast)))])
            }
        }
    }

    public func lines(sessionID: String, limit: Int) async throws -> [ConversationLine] {
        try await database.read { connection in
            try connection.query(
                """
                SELECT sender, text, created_at FROM
                    (SELECT id, sender, text, created_at FROM conversation_turns WHERE session_id = ? ORDER BY id DESC LIMIT ?)
                ORDER BY id
                """, [.text(sessionID), .integer(Int64(max(0, limit)))]
            ).map { row in
                ConversationLine(
                    sender: try row.string(0, "conversation_turns.sender"), text: try row.string(1, "conversation_turns.text"),
                    createdAt: Date(timeIntervalSince1970: try row.double(2, "conversation_turns.created_at")))
            }
        }
    }

    public func incrementDailyCount(_ key: String, day: String) async throws -> Int {
        try await database.write { connection in
            try connection.query(
                """
                INSERT INTO daily_counts (key, day, count) VALUES (?, ?, 1)
                ON CONFLICT(key, day) DO UPDATE SET count = count + 1
                """, [.text(key), .text(day)])
            return try connection.query("SELECT count FROM daily_counts WHERE key = ? AND day = ?", [.text(key), .text(day)])
                .first?.int(0, "daily_counts.count") ?? 0
        }
    }

    public func dailyCounts(_ keys: [String], day: String) async throws -> [String: Int] {
        try await database.read { connection in
            var counts = Dictionary(uniqueKeysWithValues: keys.map { ($0, 0) })
            for row in try connection.query("SELECT key, count FROM daily_counts WHERE day = ?", [.text(day)]) {
                let key = try row.string(0, "daily_counts.key")
                if counts[key] != nil { counts[key] = try row.int(1, "daily_counts.count") }
            }
            return counts
        }
    }

    /// Appends lines inside a transaction the caller holds (customer service writes its turns with its own records).
    static func append(_ lines: [ConversationLine], sessionID: String, connection: SQLiteConnection) throws {
        for line in lines {
            try connection.query(
                "INSERT INTO conversation_turns (session_id, created_at, sender, text) VALUES (?, ?, ?, ?)",
                [.text(sessionID), .real(line.createdAt.timeIntervalSince1970), .text(line.sender), .text(line.text)])
        }
    }

    private static func session(_ connection: SQLiteConnection, id: String) throws -> ConversationSession? {
        try connection.query("SELECT id, mode, created_at FROM conversation_sessions WHERE id = ?", [.text(id)]).first.map { row in
            ConversationSession(
                id: try row.string(0, "conversation_sessions.id"),
                mode: ConversationMode(rawValue: try row.string(1, "conversation_sessions.mode")),
                createdAt: Date(timeIntervalSince1970: try row.double(2, "conversation_sessions.created_at")))
        }
    }
}
