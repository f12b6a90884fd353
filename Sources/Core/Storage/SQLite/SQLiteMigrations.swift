/// One schema step of a database backend, applied once and in order (SQLite's `PRAGMA user_version` or
/// PostgreSQL's migrations table remembers the last one).
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    public let sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }
}

/// VividCrowd's SQLite schema history. Tables arrive with the modes that need them; never edit a shipped step.
public enum SQLiteMigrations {
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
                """),
        Migration(
            version: 2, name: "customer service",
            sql: """
                CREATE TABLE csv_registry (
                    file_name TEXT PRIMARY KEY,
                    md5 TEXT NOT NULL,
                    row_count INTEGER NOT NULL,
                    encoding TEXT NOT NULL,
                    imported_at REAL NOT NULL
                );
                CREATE INDEX csv_registry_md5 ON csv_registry(md5);
                CREATE TABLE customer_service_qa (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    source_file TEXT NOT NULL REFERENCES csv_registry(file_name) ON DELETE CASCADE,
                    line INTEGER NOT NULL,
                    question_count INTEGER NOT NULL,
                    topic_name TEXT NOT NULL,
                    typical_question TEXT NOT NULL,
                    phrasings TEXT NOT NULL,
                    standard_script TEXT NOT NULL,
                    risk_notes TEXT NOT NULL,
                    keywords TEXT NOT NULL,
                    created_at REAL NOT NULL
                );
                CREATE INDEX customer_service_qa_source ON customer_service_qa(source_file);
                CREATE TABLE customer_service_sessions (
                    id TEXT PRIMARY KEY,
                    created_at REAL NOT NULL,
                    message_count INTEGER NOT NULL DEFAULT 0,
                    rating INTEGER CHECK (rating BETWEEN 1 AND 5),
                    rating_comment TEXT,
                    transfer_to_human INTEGER NOT NULL DEFAULT 0,
                    handoff_reason TEXT,
                    handoff_state TEXT CHECK (handoff_state IN ('pending', 'open', 'closed'))
                );
                CREATE TABLE customer_service_logs (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    session_id TEXT NOT NULL REFERENCES customer_service_sessions(id) ON DELETE CASCADE,
                    created_at REAL NOT NULL,
                    query TEXT NOT NULL,
                    response TEXT NOT NULL,
                    qa_topic TEXT,
                    qa_question TEXT,
                    confidence REAL NOT NULL,
                    match_type TEXT NOT NULL,
                    llm_used INTEGER NOT NULL,
                    transfer_to_human INTEGER NOT NULL,
                    latency_ms REAL NOT NULL
                );
                CREATE INDEX customer_service_logs_session ON customer_service_logs(session_id, id);
                """),
        Migration(
            version: 3, name: "knowledge-base calibration",
            sql: """
                CREATE TABLE kb_calibration (
                    embedding_model TEXT PRIMARY KEY,
                    calibration TEXT NOT NULL,
                    query_count INTEGER NOT NULL,
                    created_at REAL NOT NULL
                );
                """),
        Migration(
            version: 4, name: "corpus versions",
            sql: """
                CREATE TABLE corpus_versions (
                    corpus TEXT PRIMARY KEY,
                    version INTEGER NOT NULL
                );
                INSERT INTO corpus_versions (corpus, version)
                    SELECT 'customer-service', 1 WHERE EXISTS (SELECT 1 FROM customer_service_qa);
                """),
        Migration(
            version: 5, name: "conversations",
            sql: """
                CREATE TABLE conversation_sessions (
                    id TEXT PRIMARY KEY,
                    mode TEXT NOT NULL,
                    created_at REAL NOT NULL
                );
                CREATE TABLE conversation_turns (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    session_id TEXT NOT NULL REFERENCES conversation_sessions(id) ON DELETE CASCADE,
                    created_at REAL NOT NULL,
                    sender TEXT NOT NULL,
                    text TEXT NOT NULL
                );
                CREATE INDEX conversation_turns_session ON conversation_turns(session_id, id);
                INSERT INTO conversation_sessions (id, mode, created_at)
                    SELECT id, 'customer-service', created_at FROM customer_service_sessions;
                INSERT INTO conversation_turns (session_id, created_at, sender, text)
                    SELECT session_id, created_at, sender, text FROM (
                        SELECT id, 0 AS part, session_id, created_at, 'user' AS sender, query AS text
                            FROM customer_service_logs
                        UNION ALL
                        SELECT id, 1 AS part, session_id, created_at, 'assistant' AS sender, response AS text
                            FROM customer_service_logs
                    ) ORDER BY id, part;
                """),
        Migration(
            version: 6, name: "twins",
            sql: """
                CREATE TABLE twins (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    name TEXT NOT NULL,
                    source_type TEXT NOT NULL,
                    profile TEXT NOT NULL,
                    system_prompt TEXT NOT NULL,
                    file_name TEXT NOT NULL,
                    md5 TEXT NOT NULL UNIQUE,
                    format TEXT NOT NULL,
                    pages INTEGER NOT NULL,
                    characters INTEGER NOT NULL,
                    chunk_count INTEGER NOT NULL,
                    language TEXT NOT NULL,
                    page_starts TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    updated_at REAL NOT NULL
                );
                CREATE TABLE twin_chunks (
                    twin_id INTEGER NOT NULL REFERENCES twins(id) ON DELETE CASCADE,
                    chunk_index INTEGER NOT NULL,
                    text TEXT NOT NULL,
                    first_page INTEGER NOT NULL,
                    last_page INTEGER NOT NULL,
                    char_start INTEGER NOT NULL,
                    char_end INTEGER NOT NULL,
                    overlap INTEGER NOT NULL,
                    PRIMARY KEY (twin_id, chunk_index)
                );
                CREATE TABLE twin_chunk_vectors (
                    twin_id INTEGER NOT NULL REFERENCES twins(id) ON DELETE CASCADE,
                    embedding_model TEXT NOT NULL,
                    chunk_index INTEGER NOT NULL,
                    vector BLOB NOT NULL,
                    PRIMARY KEY (twin_id, embedding_model, chunk_index)
                );
                CREATE TABLE twin_messages (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    twin_id INTEGER NOT NULL REFERENCES twins(id) ON DELETE CASCADE,
                    session_id TEXT NOT NULL,
                    sender TEXT NOT NULL,
                    text TEXT NOT NULL,
                    citations TEXT NOT NULL,
                    created_at REAL NOT NULL
                );
                CREATE INDEX twin_messages_session ON twin_messages(twin_id, session_id, id);
                """),
        Migration(
            version: 7, name: "sales training customers",
            sql: """
                CREATE TABLE customers (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    name TEXT NOT NULL,
                    profile TEXT NOT NULL,
                    file_name TEXT NOT NULL,
                    md5 TEXT NOT NULL UNIQUE,
                    created_at REAL NOT NULL
                );
                """),
        Migration(
            version: 8, name: "sales training sessions",
            sql: """
                CREATE TABLE training_sessions (
                    id TEXT PRIMARY KEY,
                    customer_id INTEGER NOT NULL,
                    user_id TEXT NOT NULL,
                    state TEXT NOT NULL,
                    report TEXT,
                    created_at REAL NOT NULL,
                    updated_at REAL NOT NULL
                );
                CREATE INDEX training_sessions_user ON training_sessions(user_id, created_at);
                """),
        Migration(
            version: 9, name: "sales training copilot materials",
            sql: """
                CREATE TABLE sales_materials (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    file_name TEXT NOT NULL,
                    md5 TEXT NOT NULL UNIQUE,
                    format TEXT NOT NULL,
                    units TEXT NOT NULL,
                    created_at REAL NOT NULL
                );
                """),
        Migration(
            version: 10, name: "daily counts",
            sql: """
                CREATE TABLE daily_counts (
                    key TEXT NOT NULL,
                    day TEXT NOT NULL,
                    count INTEGER NOT NULL,
                    PRIMARY KEY (key, day)
                ) WITHOUT ROWID;
                """),
    ]
}
