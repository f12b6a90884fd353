/// An error a conversation may show its user as it is: a stable code and a sentence free of internal details
/// (no file paths, no raw upstream replies). Any other error reaches the user as a generic failure and the log
/// keeps the details.
public protocol ConversationFailure: Error {
    /// A stable, machine-readable code for error frames.
    var code: String { get }
    /// One sentence for people.
    var userMessage: String { get }
}

extension CustomerServiceError: ConversationFailure {
    public var code: String {
        switch self {
        case .unknownSession: return "unknown_session"
        case .invalidRating: return "invalid_rating"
        case .invalidHandoffTransition: return "invalid_handoff"
        }
    }

    public var userMessage: String { description }
}
