import Foundation
import VividCrowdCore
import VividCrowdPostgres

/// Every store backend, opened fresh, for the conformance suite. PostgreSQL is among them when
/// `VIVIDCROWD_TEST_POSTGRES_URL` names a server (`scripts/postgres.sh run swift test`, as `make test` does); each
/// store then gets a database of its own on it.
public enum StoreBackend: String, CaseIterable, Sendable {
    case memory, sqlite, postgres

    /// The backends this run can open.
    public static var allCases: [StoreBackend] { postgresURL == nil ? [.memory, .sqlite] : [.memory, .sqlite, .postgres] }

    /// The test server's URL (its `postgres` database), when there is one.
    public static var postgresURL: String? {
        ProcessInfo.processInfo.environment["VIVIDCROWD_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Whether the run promised a PostgreSQL server (`scripts/postgres.sh run` sets it), so its absence is a failure.
    public static var postgresRequired: Bool { ProcessInfo.processInfo.environment["VIVIDCROWD_REQUIRE_POSTGRES"] == "1" }

    public func open() async throws -> any VividCrowdStore {
        switch self {
        case .memory:
            return try StoreFactory.open(.init(databasePath: "unused", databaseURL: "memory:"))
        case .sqlite:
            return try StoreFactory.open(.init(databasePath: try temporaryDirectory(), databaseURL: nil))
        case .postgres:
            return try await Self.freshPostgresStore()
        }
    }

    /// The test server's URL naming `database` instead (to hand to a server under test as its `DATABASE_URL`).
    public static func postgresURL(database: String) -> String? {
        guard let raw = postgresURL, var components = URLComponents(string: raw) else { return nil }
        components.path = "/" + database
        return components.string
    }

    /// How long a test's statement waits for a connection. Swift Testing's pool is busy for about 100 s at the
    /// start of a full run on 2 cores (server start-ups), when a new connection can take longer than the product's
    /// 5 s; a server that is really gone still fails the test. Tests of unavailability set their own, short one.
    public static let leaseTimeout: Duration = .seconds(120)

    /// A store on a new, empty database of the test server.
    public static func freshPostgresStore(maximumConnections: Int = 4) async throws -> PostgresStore {
        guard let raw = postgresURL else { throw StoreError.unsupportedURL(scheme: "postgres", supported: StoreFactory.supportedSchemes) }
        let server = try PostgresURL(raw)
        let name = "vividcrowd_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        try await PostgresAdmin.createDatabase(name, on: server)
        return try PostgresStore(url: server.with(database: name), maximumConnections: maximumConnections, leaseTimeout: leaseTimeout)
    }
}
