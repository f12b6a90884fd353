import Foundation

/// What went wrong with an LLM call. Messages are redacted before they are stored here.
public enum LLMError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No API key is configured for a server that needs one.
    case missingAPIKey(endpoint: String)
    /// The server rejected the key (401/403).
    case authentication(status: Int, message: String)
    /// The account's quota or rate limit is exhausted after retries.
    case quotaExceeded(message: String)
    /// The server does not know the model.
    case unknownModel(model: String, message: String)
    /// The server rejected the request as invalid.
    case badRequest(status: Int, message: String)
    /// The server failed (5xx) after retries.
    case server(status: Int, message: String)
    /// No answer within the request timeout.
    case timeout(seconds: Double)
    /// The connection could not be made or broke.
    case connection(message: String)
    /// The reply could not be understood.
    case malformedResponse(String)
    /// The server reported an error in the middle of a stream.
    case streamError(message: String)
    /// Replay mode was asked for a request the cassette does not hold.
    case cassetteMiss(CassetteMiss)

    public var description: String {
        switch self {
        case .missingAPIKey(let endpoint):
            return "no API key for \(endpoint): set DASHSCOPE_API_KEY, or use LLM_MODE=replay with recorded cassettes"
        case .authentication(let status, let message):
            return "the LLM server rejected the API key (HTTP \(status)): \(message)"
        case .quotaExceeded(let message):
            return "the LLM quota or rate limit is exhausted: \(message)"
        case .unknownModel(let model, let message):
            return "the LLM server does not know model '\(model)': \(message)"
        case .badRequest(let status, let message):
            return "the LLM server rejected the request (HTTP \(status)): \(message)"
        case .server(let status, let message):
            return "the LLM server failed (HTTP \(status)): \(message)"
        case .timeout(let seconds):
            return "the LLM server did not answer within \(seconds) s (REQUEST_TIMEOUT)"
        case .connection(let message):
            return "could not reach the LLM server: \(message)"
        case .malformedResponse(let message):
            return "malformed LLM response: \(message)"
        case .streamError(let message):
            return "the LLM stream failed: \(message)"
        case .cassetteMiss(let miss):
            return miss.description
        }
    }

    /// Whether a retry may succeed: rate limits, server errors and broken connections.
    var isRetryable: Bool {
        switch self {
        case .server, .connection: return true
        default: return false
        }
    }
}

extension LLMError: ConversationFailure {
    public var code: String {
        switch self {
        case .missingAPIKey: return "no_api_key"
        case .cassetteMiss: return "not_recorded"
        case .quotaExceeded: return "llm_busy"
        case .timeout: return "llm_timeout"
        default: return "llm_failed"
        }
    }

    /// What a user may read: no upstream reply text and no cassette path (the log has both).
    public var userMessage: String {
        switch self {
        case .missingAPIKey:
            return "the language model is not configured on this server (no API key); ask its operator to set one"
        case .cassetteMiss:
            return "this server replays recorded replies and has none for this message; try one of the recorded "
                + "questions, or ask its operator to run it live"
        case .quotaExceeded: return "the language model is busy right now; please try again in a moment"
        case .timeout: return "the language model did not answer in time; please try again"
        default: return "the language model could not answer; please try again"
        }
    }
}
