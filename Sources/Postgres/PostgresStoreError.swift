import PostgresNIO
import VividCrowdCore

/// What can go wrong opening or using the PostgreSQL store, in words an operator can act on; never the password,
/// never the raw server message (that goes to the log).
public enum PostgresStoreError: Error, CustomStringConvertible, Equatable, Sendable {
    /// `DATABASE_URL` is not a usable postgres:// URL.
    case invalidURL(String)
    /// The server could not be reached or refused the credentials.
    case unavailable(String)

    public var description: String {
        switch self {
        case .invalidURL(let reason): return "DATABASE_URL is not a usable PostgreSQL URL: \(reason)"
        case .unavailable(let location):
            return "the PostgreSQL store at \(location) is unavailable: not reachable, or refusing the connection, its TLS "
                + "or its credentials (the log has the cause)"
        }
    }
}

extension PSQLError {
    /// The SQLSTATE the server sent, if it sent one ("23505" for a unique violation).
    var sqlState: String? { serverInfo?[.sqlState] }
}

extension PostgresStoreError: ConversationFailure {
    public var code: String {
        switch self {
        case .invalidURL: return "store_misconfigured"
        case .unavailable: return "store_unavailable"
        }
    }

    /// Said to users without the store's address.
    public var userMessage: String {
        switch self {
        case .invalidURL: return "the server's database is misconfigured; the operator has the details"
        case .unavailable: return "the database is unavailable at the moment; try again shortly"
        }
    }
}
