import Foundation

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
/// result naming the routing path. In a named room, the other connections (on any instance) see the same events,
/// preceded by a `user_message` notice with what was said.
public struct GroupChatConversation: Conversation {
    public let room: GroupChatRoom
    /// This connection, so the room's broadcast skips it.
    public let connection: UUID

    public init(room: GroupChatRoom, connection: UUID = UUID()) {
        self.room = room
        self.connection = connection
    }

    /// Plain text is the message itself; a JSON object must be `{"message": "...", "agent_ids": [...]}`.
    public static func input(fromFrame text: String) throws -> GroupChatMessage {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.hasPrefix("{") else { return GroupChatMessage(text: try MessageText.validate(text)) }
        guard let object = (try? JSONValue.parse(trimmed))?.objectValue else {
            throw FrameRejection(
                code: "bad_json", userMessage: "a frame starting with { must be a JSON object {\"message\": \"...\"}")
        }
        let unknown = object.keys.filter { !["message", "agent_ids"].contains($0) }.sorted()
        guard unknown.isEmpty else {
            throw FrameRejection(code: "unknown_field", userMessage: "unknown field(s) \(unknown.joined(separator: ", "))")
        }
        guard let message = object["message"]?.stringValue else {
            throw FrameRejection(code: "bad_message", userMessage: "\"message\" must be a string")
        }
        var agents: [String] = []
        if let ids = object["agent_ids"], ids != .null {
            guard let list = ids.arrayValue, list.allSatisfy({ $0.stringValue != nil }) else {
                throw FrameRejection(code: "bad_agent_ids", userMessage: "\"agent_ids\" must be a list of agent ids")
            }
            agents = list.compactMap(\.stringValue)
        }
        return GroupChatMessage(text: try MessageText.validate(message), agentIDs: agents)
    }

    public func handle(_ message: GroupChatMessage, emit direct: @escaping @Sendable (ConversationEvent) async -> Void) async throws {
        let emit: @Sendable (ConversationEvent) async -> Void
        if let broadcast = room.broadcast {
            let (room, connection) = (room.id, connection)
            await broadcast.publish(
                .notice(ConversationFrame(type: "user_message", fields: ["sender": "user", "content": .string(message.text)])),
                room: room, from: connection)
            emit = { event in
                await direct(event)
                await broadcast.publish(event, room: room, from: connection)
            }
        } else {
            emit = direct
        }
        let (decision, _) = try await room.send(message.text, agentIDs: message.agentIDs, emit: emit)
        await emit(.result(ConversationFrame(type: "round_end", fields: [
            "path": .string(decision.path.rawValue), "agents": .array(decision.agents.map(JSONValue.string)),
            "notes": .array(decision.notes.map(JSONValue.string)),
        ])))
    }
}
