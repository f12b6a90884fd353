import Foundation
import HummingbirdWebSocket
import Logging
import VividCrowdCore

/// The one per-connection driver every mode's socket uses: it reads frames one at a time (pings are still answered
/// while a reply is produced), parses each with the conversation's frame reader, lets the mode's conversation handle it, writes
/// the conversation's events as JSON frames, and turns failures into `error` frames that carry no internal details.
enum ConversationSocket {
    /// Largest WebSocket message read at all; longer ones close the connection (messages are limited far below).
    static let maximumFrameBytes = 1 << 20

    /// Serves `conversation` until the peer goes. `failureCode` names an unexpected failure in this mode's error
    /// frames; `textHint` tells a client that sent a binary frame what to send.
    static func serve<C: Conversation>(
        _ conversation: C, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, logger: Logger,
        limit protection: ServerProtection, failureCode: String, textHint: String
    ) async throws {
        // Per connection: a client that floods one socket is slowed without touching anyone else's.
        let budget = protection.connectionBudget()
        try await SerialMessages.process(inbound, maxSize: maximumFrameBytes) { message in
            if let wait = await budget?.take("messages", rule: protection.rule(.messages)) {
                let seconds = ServerProtection.seconds(wait)
                try await write(outbound, .failure(code: "rate_limited", message: "too many messages; try again in \(seconds) s"))
                return
            }
            guard case .text(let text) = message else {
                try await write(outbound, .failure(code: "bad_frame", message: textHint))
                return
            }
            let input: C.Input
            do {
                input = try C.input(fromFrame: text)
            } catch {
                try await write(outbound, failure(error, code: "bad_message", logger: logger))
                return
            }
            do {
                try await conversation.handle(input) { event in try? await write(outbound, event) }
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                try await write(outbound, failure(error, code: failureCode, logger: logger))
            }
        }
    }

    /// The frame a failure becomes: a `ConversationFailure` as it is, anything else generic (details in the log).
    static func failure(_ error: any Error, code: String, logger: Logger) -> ConversationEvent {
        if let failure = error as? any ConversationFailure {
            return .failure(code: failure.code, message: failure.userMessage)
        }
        logger.error("conversation failed", metadata: ["code": "\(code)", "error": "\(error)"])
        return .failure(code: code, message: "the message could not be handled; the server log has the details")
    }

    /// An event as its wire frame.
    static func frame(_ event: ConversationEvent) -> JSONValue { event.wireFrame }

    /// Writes one event.
    static func write(_ outbound: WebSocketOutboundWriter, _ event: ConversationEvent) async throws {
        try await outbound.write(.text(frame(event).canonicalString))
    }
}
