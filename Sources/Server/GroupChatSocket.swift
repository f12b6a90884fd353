import Foundation
import Hummingbird
import Logging
import VividCrowdCore

/// `WS /api/chat/ws`: plain text (as the original) or `{"message": "...", "agent_ids": [...]}`; the agents answer
/// with `typing`, then `stream_start` / `stream_chunk` / `stream_end` frames each, one agent at a time, and a
/// `round_end` frame says which path routed the message. `?room=NAME` joins a named room: its shared history, and
/// every other connection's round in it (a `user_message` frame, then the same frames), on any instance.
enum GroupChatSocket {
    static func add(to router: Router<AppWebSocketContext>, chat: GroupChatService, socket: SocketEnvironment) {
        router.socket("/api/chat/ws") { request, context, writer in
            let roomName = request.uri.queryParameters["room"].map(String.init)
            let room: GroupChatRoom
            do {
                room = try await chat.room(named: roomName)
            } catch {
                try await ConversationSocket.write(
                    writer, ConversationSocket.failure(error, code: "unavailable", logger: context.logger))
                return nil
            }
            let connection = UUID()
            func service(closed: @escaping @Sendable () -> Void = {}) -> SocketService {
                ConversationSocket.service(
                    GroupChatConversation(room: room, connection: connection), writer: writer, logger: context.logger,
                    environment: socket, route: "/api/chat/ws", failureCode: "round_failed", textHint: "send text frames",
                    closed: closed)
            }
            guard let broadcast = room.broadcast else { return service() }
            // A named room: what its other connections (here or on another instance) send and hear arrives too, for
            // as long as this connection is open.
            let events = await broadcast.subscribe(room: room.id, connection: connection)
            let relay = Task {
                for await event in events {
                    do { try await ConversationSocket.write(writer, event) } catch { break }
                }
            }
            return service(closed: {
                relay.cancel()
                Task { await broadcast.unsubscribe(room: room.id, connection: connection) }
            })
        }
    }
}
