import Foundation
import Testing
import VividCrowdCore
import VividCrowdTesting

@Suite("SQLite specifics")
struct StorageTests {
    @Test("a new database is migrated, in WAL mode, with foreign keys on")
    func pragmas() async throws {
        let directory = try temporaryDirectory()
        let database = try SQLiteDatabase(path: directory + "/test.sqlite")
        #expect(try await database.schemaVersion == SQLiteMigrations.all.map(\.version).max())
        let journal = try await database.read { try $0.query("PRAGMA journal_mode").first?.first?.string }
        #expect(journal == "wal")
        let foreignKeys = try await database.read { try $0.query("PRAGMA foreign_keys").first?.first?.int }
        #expect(foreignKeys == 1)
        // Re-opening does not re-run migrations.
        let reopened = try SQLiteDatabase(path: directory + "/test.sqlite")
        #expect(try await reopened.schemaVersion == SQLiteMigrations.all.map(\.version).max())
    }

    @Test("a failed write transaction leaves earlier data intact")
    func atomicWrites() async throws {
        let database = try SQLiteDatabase(path: ":memory:")
        let cache = SQLiteEmbeddingCache(database: database)
        try await cache.store([[1, 2]], for: ["kept"], model: "m", inputType: nil)
        await #expect(throws: SQLiteError.self) {
            try await database.write { connection in
                try connection.query("DELETE FROM embedding_cache")
                try connection.query("INSERT INTO no_such_table VALUES (1)")
            }
        }
        #expect(try await cache.vectors(for: ["kept"], model: "m", inputType: nil) == [[1, 2]])
    }

    @Test("writes that arrive together commit together, and one that throws is undone alone")
    func groupCommit() async throws {
        let database = try SQLiteDatabase(path: try temporaryDirectory() + "/group.sqlite")
        try await database.write { try $0.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)") }
        struct Refused: Error {}
        let outcomes = await withTaskGroup(of: (Int, Bool).self) { group in
            for index in 0..<200 {
                group.addTask {
                    do {
                        let row = try await database.write { connection -> Int64 in
                            try connection.query("INSERT INTO notes (body) VALUES (?)", [.text("note \(index)")])
                            try connection.query("INSERT INTO notes (body) VALUES (?)", [.text("more \(index)")])
                            if index % 7 == 0 { throw Refused() }
                            return connection.lastInsertRowID
                        }
                        return (index, row > 0)
                    } catch is Refused {
                        return (index, false)
                    } catch {
                        Issue.record("write \(index) failed with \(error), not its own error")
                        return (index, false)
                    }
                }
            }
            return await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        #expect(outcomes.count == 200)
        #expect(outcomes.filter(\.value).map(\.key).sorted() == (0..<200).filter { $0 % 7 != 0 })
        let bodies = try await database.read { try $0.query("SELECT body FROM notes").compactMap { $0.first?.string } }
        #expect(Set(bodies) == Set((0..<200).filter { $0 % 7 != 0 }.flatMap { ["note \($0)", "more \($0)"] }))
    }

    @Test("reads see every write that returned, and cannot write themselves")
    func readersSeeCommittedWrites() async throws {
        let database = try SQLiteDatabase(path: try temporaryDirectory() + "/readers.sqlite")
        try await database.write { try $0.execute("CREATE TABLE counter (value INTEGER NOT NULL)") }
        for value in 1...20 {
            try await database.write { try $0.query("INSERT INTO counter (value) VALUES (?)", [.integer(Int64(value))]) }
            // Each read may go to another connection; each must see the write that just returned.
            let total = try await database.read { try $0.query("SELECT sum(value) FROM counter").first?.first?.int }
            #expect(total == value * (value + 1) / 2)
        }
        await #expect(throws: SQLiteError.self) {
            try await database.read { try $0.query("DELETE FROM counter") }
        }
        #expect(try await database.read { try $0.query("SELECT count(*) FROM counter").first?.first?.int } == 20)
    }

    @Test("an idle store empties its page caches, and reads what it dropped again")
    func idleRelease() async throws {
        let store = try SQLiteStore(path: try temporaryDirectory() + "/idle.sqlite")
        let texts = (0..<400).map { "text \($0)" }
        try await store.embeddings.store(
            texts.map { index in (0..<384).map { Float($0 + index.count) } }, for: texts, model: "m", inputType: nil)
        _ = try await store.embeddings.vectors(for: texts, model: "m", inputType: nil)
        let before = await store.database.cacheBytes()
        #expect(before > 300_000, "\(before) bytes cached after storing 400 vectors")
        await store.releaseIdleMemory()
        let after = await store.database.cacheBytes()
        #expect(after < before / 4, "\(after) bytes cached after the release, \(before) before")
        let again = try await store.embeddings.vectors(for: texts, model: "m", inputType: nil)
        #expect(again.compactMap { $0 }.count == 400)
        try await store.close()
    }

    @Test("compiled statements are reused with fresh bindings, a failed step leaves them usable, and many distinct ones evict")
    func statementCache() throws {
        let connection = try SQLiteConnection(path: ":memory:")
        try connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)")
        for name in ["a", "b", "c"] { try connection.query("INSERT INTO t (name) VALUES (?)", [.text(name)]) }
        // The same statement, again, with another binding: the earlier one must not linger.
        #expect(try connection.query("SELECT name FROM t WHERE id = ?", [.integer(1)]) == [[.text("a")]])
        #expect(try connection.query("SELECT name FROM t WHERE id = ?", [.integer(3)]) == [[.text("c")]])
        #expect(try connection.query("SELECT name FROM t WHERE id = ?", [.integer(9)]).isEmpty)
        // A constraint failure in a cached statement, then the statement works again.
        #expect(throws: SQLiteError.self) { try connection.query("INSERT INTO t (name) VALUES (?)", [.text("a")]) }
        try connection.query("INSERT INTO t (name) VALUES (?)", [.text("d")])
        // More distinct statements than the cache holds: every one still answers.
        for limit in 1...300 {
            #expect(try connection.query("SELECT count(*) FROM t WHERE id <= \(limit)").first?.first?.int == min(limit, 4))
        }
        #expect(try connection.query("SELECT name FROM t WHERE id = ?", [.integer(4)]) == [[.text("d")]])
        // A syntax error is reported and nothing is cached for it.
        #expect(throws: SQLiteError.self) { try connection.query("SELEC 1") }
    }

    @Test("vectors round-trip as little-endian Float32 BLOBs, keyed by model and input type")
    func embeddingCache() async throws {
        let database = try SQLiteDatabase(path: ":memory:")
        let cache = SQLiteEmbeddingCache(database: database)
        let vector: [Float] = [0.25, -1.5, .pi, 1e-7]
        try await cache.store([vector], for: ["hello"], model: "m1", inputType: "query")
        #expect(try await cache.vectors(for: ["hello", "other"], model: "m1", inputType: "query") == [vector, nil])
        #expect(try await cache.vectors(for: ["hello"], model: "m2", inputType: "query") == [nil])
        #expect(try await cache.vectors(for: ["hello"], model: "m1", inputType: nil) == [nil])
        let blob = try await database.read { try $0.query("SELECT vector, dimension FROM embedding_cache").first }
        #expect(blob?[0].data == VectorCodec.encode(vector))
        #expect(blob?[0].data?.prefix(4) == Data([0x00, 0x00, 0x80, 0x3E]))  // 0.25 little-endian
        #expect(blob?[1].int == 4)
    }

    @Test("the caching embedder embeds each distinct missing text once")
    func cachingEmbedder() async throws {
        let live = ScriptedTransport()
        let client = LLMClient(transport: live, models: testModels, embeddingBatchSize: 10)
        let embedder = CachingEmbedder(client: client, cache: InMemoryEmbeddingCache())
        let first = try await embedder.embed(["a", "b", "a"])
        #expect(first == ["a", "b", "a"].map(OpenAIFixtures.vector(for:)))
        #expect(await client.meter.snapshot.embeddedTexts == 2)
        let second = try await embedder.embed(["b", "c"])
        #expect(second == ["b", "c"].map(OpenAIFixtures.vector(for:)))
        #expect(await client.meter.snapshot.embeddedTexts == 3)
    }

    /// An embedding cache that counts its reads.
    private actor CountingCache: EmbeddingCache {
        let inner = InMemoryEmbeddingCache()
        var reads = 0
        func vectors(for texts: [String], model: String, inputType: String?) async throws -> [[Float]?] {
            reads += 1
            return await inner.vectors(for: texts, model: model, inputType: inputType)
        }
        func store(_ vectors: [[Float]], for texts: [String], model: String, inputType: String?) async throws {
            await inner.store(vectors, for: texts, model: model, inputType: inputType)
        }
    }

    @Test("a question asked again takes its vector from the recent ones, by input type, and the oldest goes when full")
    func recentQuestions() async throws {
        let client = LLMClient(transport: ScriptedTransport(), models: testModels, embeddingBatchSize: 10)
        let cache = CountingCache()
        let embedder = CachingEmbedder(client: client, cache: cache, recentQuestions: 2)
        #expect(try await embedder.embed(["a"], inputType: "query") == [OpenAIFixtures.vector(for: "a")])
        #expect(try await embedder.embed(["a"], inputType: "query") == [OpenAIFixtures.vector(for: "a")])
        #expect(await cache.reads == 1)
        _ = try await embedder.embed(["a"], inputType: "passage")
        #expect(await cache.reads == 2, "another input type is another vector")
        _ = try await embedder.embed(["b"], inputType: "query")
        #expect(await cache.reads == 3)
        // "a" as a query was the oldest of three: it went, and is read from the cache again (not embedded again).
        _ = try await embedder.embed(["a"], inputType: "query")
        #expect(await cache.reads == 4)
        #expect(await client.meter.snapshot.embeddedTexts == 3)
        // Batches do not go through the recent ones.
        _ = try await embedder.embed(["b", "c"], inputType: "query")
        #expect(await cache.reads == 5)
    }
}

@Suite("SQLite across connections")
struct SQLiteSharingTests {
    @Test("a row that does not hold what the schema says is an error naming the column, not a zero")
    func corruptRows() async throws {
        let database = try SQLiteDatabase(path: ":memory:")
        let store = SQLiteStore(database: database)
        _ = try await store.customerService.createSession(id: "s", at: Date(timeIntervalSince1970: 0))
        try await database.write { try $0.query("UPDATE customer_service_sessions SET message_count = 'many'") }
        await #expect(throws: StoreError.corruptRow(
            column: "customer_service_sessions.message_count", found: "the text \"many\"", expected: "an integer")
        ) { try await store.customerService.session(id: "s") }
    }

    @Test("a second connection to the same file sees every import's version bump")
    func versionsAcrossConnections() async throws {
        let path = try temporaryDirectory() + "/shared.sqlite"
        let server = try SQLiteStore(path: path)
        let other = try SQLiteStore(path: path)
        #expect(try await server.customerService.corpusVersion() == 0)
        _ = try await other.customerService.replaceKnowledgeBase(
            fileName: "kb.csv", md5: "x", encoding: "UTF-8",
            entries: [KnowledgeEntry(line: 2, questionCount: 1, topicName: "t", phrasings: ["q"], standardScript: "s", riskNotes: "")],
            keywords: [[]], at: Date())
        #expect(try await server.customerService.corpusVersion() == 1)
        #expect(try await server.customerService.knowledgeEntryCount() == 1)
    }

    @Test("a database from a newer build is refused, not downgraded")
    func newerSchema() async throws {
        let path = try temporaryDirectory() + "/newer.sqlite"
        let database = try SQLiteDatabase(path: path)
        try await database.write { try $0.execute("PRAGMA user_version = 999") }
        #expect(throws: StoreError.schemaTooNew(found: 999, known: SQLiteMigrations.all.count)) {
            _ = try SQLiteDatabase(path: path)
        }
    }

    @Test("DATABASE_URL picks the backend by scheme; other schemes are refused clearly")
    func schemes() throws {
        #expect(try StoreFactory.open(.init(databasePath: "x", databaseURL: "memory:")).location == "memory:")
        let path = try temporaryDirectory() + "/picked.sqlite"
        #expect(try StoreFactory.open(.init(databasePath: "x", databaseURL: "sqlite:" + path)).location == "sqlite:" + path)
        #expect(throws: StoreError.unsupportedURL(scheme: "mysql", supported: StoreFactory.supportedSchemes)) {
            _ = try StoreFactory.open(.init(databasePath: "x", databaseURL: "mysql://u:p@h/db"))
        }
    }
}

@Suite("SQLite migrations")
struct SQLiteMigrationTests {
    @Test("a version-4 database's customer-service sessions and turns become conversations on upgrade")
    func conversationsFromVersion4() async throws {
        let path = try temporaryDirectory() + "/v4.sqlite"
        let old = try SQLiteDatabase(path: path, migrations: SQLiteMigrations.all.filter { $0.version <= 4 })
        try await old.write { connection in
            try connection.execute(
                """
                INSERT INTO customer_service_sessions (id, created_at, message_count) VALUES ('s1', 100, 2);
                INSERT INTO customer_service_logs (session_id, created_at, query, response, confidence, match_type,
                    llm_used, transfer_to_human, latency_ms)
                VALUES ('s1', 101, 'q1', 'a1', 0.9, 'high_confidence', 0, 0, 1),
                       ('s1', 102, 'q2', 'a2', 0.5, 'mid_confidence', 1, 0, 1);
                """)
        }
        let upgraded = try SQLiteStore(path: path)
        #expect(try await upgraded.schemaVersion() == SQLiteMigrations.all.count)
        #expect(try await upgraded.conversations.conversation(id: "s1")?.mode == .customerService)
        let lines = try await upgraded.conversations.lines(sessionID: "s1", limit: 10)
        #expect(lines.map(\.sender) == ["user", "assistant", "user", "assistant"])
        #expect(lines.map(\.text) == ["q1", "a1", "q2", "a2"])
        #expect(lines.first?.createdAt == Date(timeIntervalSince1970: 101))
    }
}
