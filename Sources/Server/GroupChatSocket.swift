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
                limit: protection, failureCode: "round_failed", textHint: "send text frames")
        }
    }
}
