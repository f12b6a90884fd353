import Foundation
import Testing
import VividCrowdCore
import VividCrowdPostgres
import VividCrowdTesting

@Suite("PostgreSQL store")
struct PostgresStoreTests {
    @Test("a run that promised a PostgreSQL server has one, so its suites cannot be skipped silently")
    func serverPresentWhenPromised() {
        if StoreBackend.postgresRequired { #expect(StoreBackend.postgresURL != nil) }
        #expect(StoreBackend.allCases.contains(.postgres) == (StoreBackend.postgresURL != nil))
    }

    @Test("URLs are taken apart with their TLS mode; descriptions and errors never show the password")
    func urls() throws {
        let url = try PostgresURL("postgres://vivid%40ops:s3cr%2Ft@db.internal:6543/crowd?sslmode=verify-full")
        #expect(url.user == "vivid@ops" && url.password == "s3cr/t" && url.host == "db.internal")
        #expect(url.port == 6543 && url.database == "crowd" && url.sslMode == .verifyFull)
        #expect(url.description == "postgres://vivid@ops:***@db.internal:6543/crowd?sslmode=verify-full")
        let defaults = try PostgresURL("postgresql://u@h/d")
        #expect(defaults.port == 5432 && defaults.sslMode == .prefer && defaults.password == nil)
        for bad in [
            "postgres://u:hunter2@h:5432", "postgres://:hunter2@h/d", "postgres://u:hunter2@h/d?sslmode=maybe",
            "postgres://u:hunter2@h/d?application=x", "mysql://u:hunter2@h/d",
        ] {
            do {
                _ = try PostgresURL(bad)
                Issue.record("accepted \(bad)")
            } catch {
                #expect(!"\(error)".contains("hunter2"), "\(error)")
                #expect(error is PostgresStoreError)
            }
        }
    }

    @Test("DATABASE_URL=postgres:// opens through the server's opener; a build without it says which schemes it has")
    func factory() throws {
        let storage = VividCrowdConfiguration.Storage(databasePath: "x", databaseURL: "postgres://u:hunter2@127.0.0.1:1/d")
        let store = try StoreFactory.open(storage, openers: [PostgresStoreOpener()])
        #expect(store.location == "postgres://u:***@127.0.0.1:1/d?sslmode=prefer")
        #expect(throws: StoreError.unsupportedURL(scheme: "postgres", supported: StoreFactory.supportedSchemes)) {
            _ = try StoreFactory.open(storage)
        }
    }

    @Test("a server that is not there is a clear error, soon, without the password")
    func unavailable() async throws {
        let port = try freeLoopbackPort()
        let store = try PostgresStore(
            url: PostgresURL("postgres://u:hunter2@127.0.0.1:\(port)/d?sslmode=disable"), leaseTimeout: .milliseconds(300))
        do {
            _ = try await store.customerService.corpusVersion()
            Issue.record("a store without a server answered")
        } catch let error as PostgresStoreError {
            #expect(error == .unavailable("postgres://u:***@127.0.0.1:\(port)/d?sslmode=disable"))
            #expect(!"\(error)".contains("hunter2"))
        }
        try await store.close()
    }

    @Test("instances starting together on an empty database migrate once and agree on the schema",
          .enabled(if: StoreBackend.postgresURL != nil))
    func concurrentMigrations() async throws {
        let first = try await StoreBackend.freshPostgresStore()
        let others = try (0..<3).map { _ in try PostgresStore(url: first.backend.url, maximumConnections: 2, leaseTimeout: StoreBackend.leaseTimeout) }
        let versions = try await withThrowingTaskGroup(of: Int.self) { group in
            for store in others + [first] { group.addTask { try await store.schemaVersion() } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(versions == Array(repeating: PostgresMigrations.all.count, count: 4))
    }

    @Test("what one instance writes, another on the same database reads: an import, a session, its turns, a rating",
          .enabled(if: StoreBackend.postgresURL != nil))
    func twoInstances() async throws {
        let a = try await StoreBackend.freshPostgresStore()
        let b = try PostgresStore(url: a.backend.url, leaseTimeout: StoreBackend.leaseTimeout)
        let day = Date(timeIntervalSince1970: 1_780_000_000.5)
        _ = try await a.customerService.replaceKnowledgeBase(
            fileName: "kb.csv", md5: "m", encoding: "UTF-8",
            entries: [KnowledgeEntry(line: 2, questionCount: 1, topicName: "hours", phrasings: ["When?"], standardScript: "9-5", riskNotes: "")],
            keywords: [["when"]], at: day)
        #expect(try await b.customerService.corpusVersion() == 1)
        #expect(try await b.customerService.knowledgeEntries().map(\.entry.topicName) == ["hours"])
        _ = try await b.customerService.createSession(id: "s", at: day)
        try await a.customerService.appendTurn(
            TurnLog(
                sessionID: "s", createdAt: day, query: "When?", response: "9-5", topic: "hours", matchedQuestion: "When?",
                confidence: 0.97, matchType: .high, llmUsed: false, transferToHuman: false, latencyMs: 3),
            handoffReason: nil)
        try await b.customerService.rate(sessionID: "s", rating: 5, comment: nil)
        let stats = try await a.customerService.stats()
        #expect(stats.totalSessions == 1 && stats.totalMessages == 1 && stats.ratedSessions == 1 && stats.averageRating == 5)
        #expect(try await b.conversations.lines(sessionID: "s", limit: 10).map(\.text) == ["When?", "9-5"])
    }
}

/// A loopback port nothing listens on (bound, read and released).
private func freeLoopbackPort() throws -> Int {
    let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(socket) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
    }
    guard bound else { throw StoreError.corruptRow(column: "socket", found: "no port", expected: "a free port") }
    return Int(UInt16(bigEndian: address.sin_port))
}

@Suite("PostgreSQL TLS", .enabled(if: StoreBackend.postgresURL != nil))
struct PostgresTLSTests {
    /// The test server with another sslmode.
    private func server(_ mode: String) throws -> PostgresURL {
        var url = try PostgresURL(try #require(StoreBackend.postgresURL))
        url.sslMode = try #require(PostgresURL.SSLMode(rawValue: mode))
        return url
    }

    @Test("sslmode=require and prefer encrypt, disable does not; verify-full refuses a self-signed certificate")
    func modes() async throws {
        // scripts/postgres.sh gives its cluster a self-signed certificate when openssl is there.
        let required = try await PostgresAdmin.connectionDetails(try server("require"))
        try #require(required.tls, "the test cluster has no TLS (openssl missing?)")
        #expect(required.serverVersion.hasPrefix("15") || required.serverVersion.hasPrefix("1"))
        #expect(try await PostgresAdmin.connectionDetails(try server("prefer")).tls)
        #expect(try await PostgresAdmin.connectionDetails(try server("disable")).tls == false)
        await #expect(throws: PostgresStoreError.self) { _ = try await PostgresAdmin.connectionDetails(try server("verify-full")) }
        // The store's pool takes the same modes: require works, verify-full is unavailable, soon.
        let store = try PostgresStore(url: try server("require"), maximumConnections: 1)
        #expect(try await store.schemaVersion() == PostgresMigrations.all.count)
        let strict = try PostgresStore(url: try server("verify-full"), maximumConnections: 1, leaseTimeout: .milliseconds(500))
        await #expect(throws: PostgresStoreError.self) { _ = try await strict.customerService.corpusVersion() }
        try await store.close()
        try await strict.close()
    }
}
