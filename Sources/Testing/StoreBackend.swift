import VividCrowdCore

/// Every store backend, opened fresh, for the conformance suite. The PostgreSQL backend joins this list when it lands.
public enum StoreBackend: String, CaseIterable, Sendable {
    case memory, sqlite

    public func open() throws -> any VividCrowdStore {
        switch self {
        case .memory:
            return try StoreFactory.open(.init(databasePath: "unused", databaseURL: "memory:"))
        case .sqlite:
            return try StoreFactory.open(.init(databasePath: try temporaryDirectory(), databaseURL: nil))
        }
    }
}
