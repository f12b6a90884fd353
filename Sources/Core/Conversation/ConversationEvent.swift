import Foundation

/// What a conversation of any mode shows its user, in order. Each mode's socket writes these as its wire frames,
/// so every mode shares one vocabulary: typing, streamed text with its sender, notices, a final result, errors.
public enum ConversationEvent: Sendable, Equatable {
    /// `sender` is about to speak.
    case typing(sender: String)
    /// `sender` starts a streamed reply.
    case streamStart(sender: String)
    /// The next piece of `sender`'s reply.
    case streamChunk(sender: String, content: String)
    /// `sender`'s reply is complete.
    case streamEnd(sender: String)
    /// Something beside the reply, such as a human handoff or a stage change.
    case notice(ConversationFrame)
    /// The final, structured result of one user message.
    case result(ConversationFrame)
    /// The message could not be handled: a stable code and a sentence without internal details.
    case failure(code: String, message: String)
}

/// A frame with a `type` and its other fields, as a socket sends it.
public struct ConversationFrame: Sendable, Equatable {
    public var type: String
    public var fields: [String: JSONValue]

    public init(type: String, fields: [String: JSONValue] = [:]) {
        self.type = type
        self.fields = fields
    }

    /// A frame whose fields are those of an encodable value (its JSON object), plus `extra`.
    public init<Value: Encodable>(type: String, encoding value: Value, extra: [String: JSONValue] = [:]) throws {
        let fields = try JSONValueEncoder.encode(value).objectValue ?? [:]
        self.init(type: type, fields: fields.merging(extra) { _, new in new })
    }
}

/// One conversation of any mode: it takes the user's messages one at a time and emits what the user sees.
public protocol Conversation: Sendable {
    /// A user message after the socket has parsed it.
    associatedtype Input: Sendable
    /// The input a client's text frame holds, or a `FrameRejection` that says what to send instead.
    static func input(fromFrame text: String) throws -> Input
    /// Handles one message; events are emitted as they happen, errors are thrown (a `ConversationFailure` reaches
    /// the user as it is, anything else as a generic failure).
    func handle(_ input: Input, emit: @escaping @Sendable (ConversationEvent) async -> Void) async throws
}
