import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import VividCrowdCore

/// `WS /api/chat/ws`: plain text (as the original) or `{"message": "...", "agent_ids": [...]}`; the agents answer
/// with `typing`, then `stream_start` / `stream_chunk` / `stream_end` frames each, one agent at a time, and a
/// `round_end` frame says which path routed the message. `?room=NAME` joins a named room's shared history.
enum GroupChatSocket {
    static func add(to router: Router<AppWebSocketContext>, chat: GroupChatService, protection: ServerProtection) {
        router.ws("/api/chat/ws") { inbound, outbound, context in
            let roomName = context.request.uri.queryParameters["room"].map(String.init)
            let room: GroupChatRoom
            do {
                room = try await chat.room(named: roomName)
            } catch {
                try await ConversationSocket.write(
                    outbound, ConversationSocket.failure(error, code: "unavailable", logger: context.logger))
                return
            }
            try await ConversationSocket.serve(
                GroupChatConversation(room: room), inbound: inbound, outbound: outbound, logger: context.logger,
                limit: protection, failureCode: "round_failed", textHint: "send text frames", parse: parse)
        }
    }

    /// Plain text is the message itself; a JSON object must be `{"message": "...", "agent_ids": [...]}`.
    static func parse(_ text: String) throws -> GroupChatMessage {
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
}
