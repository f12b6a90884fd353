import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import VividCrowdCore

/// `WS /api/customer-service/ws`: one session per connection (or `?session_id=` to continue one); each
/// `{"message": "..."}` gets stream frames when the LLM writes the reply, then one `response` frame.
/// A bad frame gets an `error` frame and the connection stays open.
enum CustomerServiceSocket {
    /// Largest WebSocket message read at all; longer ones close the connection (messages are limited far below).
    static let maximumFrameBytes = 1 << 20

    static func add(to router: Router<BasicWebSocketRequestContext>, desk: CustomerServiceDesk) {
        router.ws("/api/customer-service/ws") { inbound, outbound, context in
            let sessionID: String
            do {
                if let requested = context.request.uri.queryParameters["session_id"].map(String.init) {
                    sessionID = try await desk.session(requested).id
                } else {
                    sessionID = try await desk.createSession().id
                }
            } catch {
                try await send(outbound, ["type": "error", "code": "unknown_session", "content": .string("\(error)")])
                try await outbound.close(.policyViolation, reason: "unknown session")
                return
            }
            try await send(outbound, ["type": "session_created", "session_id": .string(sessionID)])
            try await SerialMessages.process(inbound, maxSize: maximumFrameBytes) { message in
                guard case .text(let text) = message else {
                    try await send(outbound, errorFrame("bad_frame", "send text frames holding {\"message\": \"...\"}"))
                    return
                }
                let question: String
                switch parse(text) {
                case .success(let parsed): question = parsed
                case .failure(let failure):
                    try await send(outbound, errorFrame(failure.code, failure.description))
                    return
                }
                try await answer(question, sessionID: sessionID, desk: desk, outbound: outbound, logger: context.logger)
            }
        }
    }

    private static func answer(
        _ question: String, sessionID: String, desk: CustomerServiceDesk, outbound: WebSocketOutboundWriter,
        logger: Logger
    ) async throws {
        do {
            for try await event in desk.reply(to: question, sessionID: sessionID) {
                switch event {
                case .streamStart: try await send(outbound, streamFrame("stream_start", ""))
                case .streamChunk(let piece): try await send(outbound, streamFrame("stream_chunk", piece))
                case .streamEnd: try await send(outbound, streamFrame("stream_end", ""))
                case .response(let reply):
                    if reply.transferToHuman {
                        try await send(outbound, [
                            "type": "handoff", "session_id": .string(sessionID),
                            "reason": .string(reply.handoffReason?.rawValue ?? ""),
                            "state": .string(reply.handoffState?.rawValue ?? HandoffState.pending.rawValue),
                            "content": .string(reply.content),
                        ])
                    }
                    var frame = try JSONValue.parse(try APIJSON.string(reply)).objectValue ?? [:]
                    frame["type"] = "response"
                    frame["session_id"] = .string(sessionID)
                    try await send(outbound, .object(frame))
                }
            }
        } catch let error as CustomerServiceError {
            try await send(outbound, errorFrame(error.code, error.description))
        } catch {
            logger.error("customer-service reply failed", metadata: ["error": "\(error)"])
            try await send(outbound, errorFrame("reply_failed", "the reply could not be produced: \(error)"))
        }
    }

    /// A rejected frame: a machine-readable code and a sentence for people.
    struct Rejection: Error, CustomStringConvertible {
        var code: String
        var description: String
    }

    /// The message of a client frame: exactly `{"message": "<text>"}`.
    static func parse(_ text: String) -> Result<String, Rejection> {
        guard let json = try? JSONValue.parse(text), let object = json.objectValue else {
            return .failure(Rejection(code: "bad_json", description: "expected a JSON object {\"message\": \"...\"}"))
        }
        let unknown = object.keys.filter { $0 != "message" }.sorted()
        guard unknown.isEmpty else {
            return .failure(Rejection(
                code: "unknown_field", description: "unknown field(s) \(unknown.joined(separator: ", ")); send {\"message\": \"...\"}"))
        }
        guard let message = object["message"]?.stringValue else {
            return .failure(Rejection(code: "bad_message", description: "\"message\" must be a string"))
        }
        do {
            return .success(try CustomerServiceDesk.validate(message))
        } catch let error as CustomerServiceError {
            return .failure(Rejection(code: error.code, description: error.description))
        } catch {
            return .failure(Rejection(code: "bad_message", description: "\(error)"))
        }
    }

    static func streamFrame(_ type: String, _ content: String) -> JSONValue {
        ["type": .string(type), "sender": "assistant", "content": .string(content)]
    }

    static func errorFrame(_ code: String, _ content: String) -> JSONValue {
        ["type": "error", "code": .string(code), "content": .string(content)]
    }

    static func send(_ outbound: WebSocketOutboundWriter, _ frame: JSONValue) async throws {
        try await outbound.write(.text(frame.canonicalString))
    }
}

extension CustomerServiceError {
    /// A stable code for error frames.
    var code: String {
        switch self {
        case .unknownSession: return "unknown_session"
        case .invalidRating: return "invalid_rating"
        case .invalidHandoffTransition: return "invalid_handoff"
        case .emptyMessage: return "empty_message"
        case .messageTooLong: return "message_too_long"
        }
    }
}
