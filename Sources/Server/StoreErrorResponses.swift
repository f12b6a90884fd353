import Hummingbird
import VividCrowdCore
import VividCrowdPostgres

/// A database that cannot be reached answers 503 with a retry hint, in the same words as an error frame, and the
/// store's address stays in the log.
extension PostgresStoreError: HTTPResponseError {
    public var status: HTTPResponse.Status {
        switch self {
        case .invalidURL: return .internalServerError
        case .unavailable: return .serviceUnavailable
        }
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = Response.error(status, userMessage)
        if case .unavailable = self { response.headers[.retryAfter] = "5" }
        return response
    }
}
