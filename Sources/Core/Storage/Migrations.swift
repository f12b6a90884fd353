/// One schema step, applied once and in order; `PRAGMA user_version` remembers the last one.
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    public let sql: String
}

/// VividCrowd's schema history. Tables arrive with the modes that need them; never edit a shipped step.
public enum Migrations {
    public static let all: [Migration] = [
        Migration(
            version: 1, name: "embedding cache",
            sql: """
                CREATE TABLE embedding_cache (
                    model TEXT NOT NULL,
                    input_type TEXT NOT NULL DEFAULT '',
                    text TEXT NOT NULL,
                    dimension INTEGER NOT NULL,
                    vector BLOB NOT NULL,
                    created_at REAL NOT NULL,
                    PRIMARY KEY (model, input_type, text)
                ) WITHOUT ROWID;
                """)
    ]
}
