/// A user message to a group-chat room, with the agents the client named explicitly.
public struct GroupChatMessage: Sendable, Equatable {
    public var text: String
    public var agentIDs: [String]

    public init(text: String, agentIDs: [String] = []) {
        self.text = text
        self.agentIDs = agentIDs
    }
}

/// A connection to a group-chat room as a conversation: typing and stream events per agent, then a `round_end`
/// result naming the routing path.
public struct GroupChatConversation: Conversation {
    public let room: GroupChatRoom

    public init(room: GroupChatRoom) { self.room = room }

    public func handle(_ message: GroupChatMessage, emit: @escaping @Sendable (ConversationEvent) async -> Void) async throws {
        let (decision, _) = try await room.send(message.text, agentIDs: message.agentIDs, emit: emit)
        await emit(.result(ConversationFrame(type: "round_end", fields: [
            "path": .string(decision.path.rawValue), "agents": .array(decision.agents.map(JSONValue.string)),
            "notes": .array(decision.notes.map(JSONValue.string)),
        ])))
    }
}
