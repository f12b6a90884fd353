import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import VividCrowdCore

/// `WS /api/chat/ws`: plain text (as the original) or `{"message": "...", "agent_ids": [...]}`; the agents answer
/// with `typing`, then `stream_start` / `stream_chunk` / `stream_end` frames each, one agent at a time, and a
/// `round_end` frame says which path routed the message. `?room=NAME` joins a named room: its shared history, and
/// every other connection's round in it (a `user_message` frame, then the same frames), on any instance.
enum GroupChatSocket {
    static func add(to router: Router<AppWebSocketContext>, chat: GroupChatService, socket: SocketEnvironment) {
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
            let connection = UUID()
            let serve = {
                try await ConversationSocket.serve(
                    GroupChatConversation(room: room, connection: connection), inbound: inbound, outbound: outbound,
                    logger: context.logger, environment: socket, route: "/api/chat/ws", failureCode: "round_failed", textHint: "send text frames")
            }
            guard let broadcast = room.broadcast else { return try await serve() }
            // A named room: what its other connections (here or on another instance) send and hear arrives too.
            let events = await broadcast.subscribe(room: room.id, connection: connection)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await event in events { try await ConversationSocket.write(outbound, event) }
                }
                do {
                    try await serve()
                } catch {
                    await broadcast.unsubscribe(room: room.id, connection: connection)
                    throw error
                }
                await broadcast.unsubscribe(room: room.id, connection: connection)
                group.cancelAll()
            }
        }
    }
}
