import Foundation
import Hummingbird
import Logging
import VividCrowdCore

/// `WS /api/digital-customer/training/ws/{session_id}`: first a `session` frame with where the session stands, then
/// per `{"message": "..."}`: `evaluation`, the customer's streamed reply and `customer_response`, `stage_completed`
/// when the stage advances (with `"voice": true`, `customer_response` carries `audio_url`, the reply spoken), and `turn_end` (or `training_complete` with the report and its radar). The state is stored
/// after every message, so a reconnect, or another instance, carries on.
enum TrainingSocket {
    static func add(to router: Router<AppWebSocketContext>, desk: TrainingDesk, speech: SpeechDesk, socket: SocketEnvironment) {
        router.socket("/api/digital-customer/training/ws/{session_id}") { _, context, writer in
            let record: TrainingSessionRecord
            do {
                let text = context.parameters.get("session_id") ?? ""
                guard text.count <= 18, let number = Int(text), number >= 1 else { throw TrainingError.sessionNotFound(String(text.prefix(40))) }
                record = try await desk.session(id: String(number))
            } catch {
                try await ConversationSocket.write(writer, ConversationSocket.failure(error, code: "session_failed", logger: context.logger))
                writer.close(.policyViolation, reason: "unknown session")
                return nil
            }
            let progress = record.state.progress
            try await ConversationSocket.write(writer, .notice(ConversationFrame(type: "session", fields: [
                "session_id": .string(record.id), "customer_id": .number(Double(record.customerID)), "status": .string(record.status),
                "stage": .number(Double(progress.stage.rawValue)), "completed_stages": .array(progress.completed.map { .number(Double($0.rawValue)) }),
                "turns": .number(Double(record.state.turns.count)),
            ])))
            return ConversationSocket.service(
                TrainingConversation(desk: desk, sessionID: record.id, speech: speech), writer: writer,
                logger: context.logger, environment: socket, route: "/api/digital-customer/training/ws/{session_id}", failureCode: "reply_failed",
                textHint: "send text frames holding {\"message\": \"...\"}")
        }
    }
}
