import Foundation
import Hummingbird
import Logging
import VividCrowdCore

/// `WS /api/celebrity/ws`: `{"message": "...", "celebrity_ids": [1, 2], "mode": "private" | "group"}`; each twin
/// answers with `stream_start` / `stream_chunk` / `stream_end` (in a group after `typing`), then a `citations` frame
/// (chunk id, page, snippet per citation; `refused` when the document did not cover the question); `round_end`
/// closes the message. The history each twin remembers is this connection's.
enum TwinSocket {
    static func add(
        to router: Router<AppWebSocketContext>, library: TwinLibrary, socket: SocketEnvironment, typingDelay: ClosedRange<Double>,
        clock: any Clock<Duration>
    ) {
        router.socket("/api/celebrity/ws") { _, context, writer in
            ConversationSocket.service(
                TwinConversation(library: library, clock: clock, typingDelay: typingDelay), writer: writer,
                logger: context.logger, environment: socket, route: "/api/celebrity/ws", failureCode: "reply_failed",
                textHint: "send text frames holding {\"message\": \"...\", \"celebrity_ids\": [1], \"mode\": \"private\"}")
        }
    }
}
