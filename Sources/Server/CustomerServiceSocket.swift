import Foundation
import Hummingbird
import Logging
import VividCrowdCore

/// `WS /api/customer-service/ws`: one session per connection (or `?session_id=` to continue one); each
/// `{"message": "..."}` gets stream frames when the LLM writes the reply, then one `response` frame.
/// A bad frame gets an `error` frame and the connection stays open.
enum CustomerServiceSocket {
    static func add(to router: Router<AppWebSocketContext>, desk: CustomerServiceDesk, socket: SocketEnvironment) {
        router.socket("/api/customer-service/ws", shouldUpgrade: { request, context in
            // A new session per connection: counted like POST /session, refused before the upgrade.
            guard request.uri.queryParameters["session_id"] == nil,
                let wait = await socket.protection.wait(.sessions, client: context.clientKey)
            else { return }
            throw HTTPError(.tooManyRequests, headers: [.retryAfter: String(ServerProtection.seconds(wait))],
                            message: "too many new sessions; try again in \(ServerProtection.seconds(wait)) s")
        }) { request, context, writer in
            let sessionID: String
            do {
                if let requested = request.uri.queryParameters["session_id"].map(String.init) {
                    guard requested.utf8.count <= 200 else { throw CustomerServiceError.unknownSession(String(requested.prefix(40)) + "…") }
                    sessionID = try await desk.session(requested).id
                } else {
                    sessionID = try await desk.createSession().id
                }
            } catch {
                try await ConversationSocket.write(
                    writer, ConversationSocket.failure(error, code: "session_failed", logger: context.logger))
                writer.close(.policyViolation, reason: "unknown session")
                return nil
            }
            try await ConversationSocket.write(
                writer, .notice(ConversationFrame(type: "session_created", fields: ["session_id": .string(sessionID)])))
            return ConversationSocket.service(
                CustomerServiceConversation(desk: desk, sessionID: sessionID), writer: writer,
                logger: context.logger, environment: socket, route: "/api/customer-service/ws", failureCode: "reply_failed",
                textHint: "send text frames holding {\"message\": \"...\"}")
        }
    }
}
