/// A client frame that cannot be taken: a stable code and a sentence for people.
public struct FrameRejection: ConversationFailure, CustomStringConvertible {
    public var code: String
    public var userMessage: String
    public var description: String { "\(code): \(userMessage)" }

    public init(code: String, userMessage: String) {
        self.code = code
        self.userMessage = userMessage
    }
}
