/// One customer-service session as a conversation: each message gets the LLM's stream events when it writes the
/// reply, a `handoff` notice when a person takes over, and a `response` result.
public struct CustomerServiceConversation: Conversation {
    public let desk: CustomerServiceDesk
    public let sessionID: String

    public init(desk: CustomerServiceDesk, sessionID: String) {
        self.desk = desk
        self.sessionID = sessionID
    }

    /// The message of a client frame: exactly `{"message": "<text>"}`.
    public static func input(fromFrame text: String) throws -> String { try MessageText.fromMessageFrame(text) }

    public func handle(_ message: String, emit: @escaping @Sendable (ConversationEvent) async -> Void) async throws {
        let reply = try await desk.answer(message, sessionID: sessionID, emit: emit)
        if reply.transferToHuman {
            await emit(.notice(ConversationFrame(type: "handoff", fields: [
                "session_id": .string(sessionID), "reason": .string(reply.handoffReason?.rawValue ?? ""),
                "state": .string((reply.handoffState ?? .pending).rawValue), "content": .string(reply.content),
            ])))
        }
        await emit(.result(try ConversationFrame(
            type: "response", encoding: reply, extra: ["session_id": .string(sessionID)])))
    }
}
