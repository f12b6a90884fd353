import Foundation
import Hummingbird
import Logging
import VividCrowdCore

/// `WS /api/digital-customer/ws`: `{"message": "...", "customer_id": 1}` (without an id, the oldest customer); the
/// customer answers in character with `stream_start` / `stream_chunk` / `stream_end`, as group chat does, then
/// `round_end`. One connection is one session, kept in the conversation store.
enum CustomerSocket {
    static func add(to router: Router<AppWebSocketContext>, library: CustomerLibrary, conversations: any ConversationStore, socket: SocketEnvironment) {
        router.socket("/api/digital-customer/ws") { _, context, writer in
            ConversationSocket.service(
                CustomerConversation(library: library, conversations: conversations), writer: writer,
                logger: context.logger, environment: socket, route: "/api/digital-customer/ws", failureCode: "reply_failed",
                textHint: "send text frames holding {\"message\": \"...\", \"customer_id\": 1}")
        }
    }
}
