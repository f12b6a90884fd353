import Foundation
import Logging
import VividCrowdCore

/// What every mode's socket shares: the limits, the metrics, and the offline demo's answer to a message its
/// recording does not hold (nil outside the demo).
struct SocketEnvironment: Sendable {
    let protection: ServerProtection
    let metrics: ServerMetrics
    let notRecorded: String?
}

/// The one per-connection driver every mode's socket uses: it takes messages one at a time (pings are still answered
/// while a reply is produced, by the socket's channel handler), parses each with the conversation's frame reader, lets
/// the mode's conversation handle it, writes the conversation's events as JSON frames, and turns failures into `error`
/// frames that carry no internal details.
enum ConversationSocket {
    /// Largest WebSocket message read at all; longer ones close the connection (messages are limited far below).
    static let maximumFrameBytes = 1 << 20

    /// What serves `conversation` until the peer goes, counting it and its messages under `route`. `failureCode` names
    /// an unexpected failure in this mode's error frames; `textHint` tells a client that sent a binary frame what to
    /// send. `closed` runs once the connection has closed.
    static func service<C: Conversation>(
        _ conversation: C, writer: SocketWriter, logger: Logger, environment: SocketEnvironment, route: String,
        failureCode: String, textHint: String, closed: @escaping @Sendable () -> Void = {}
    ) -> SocketService {
        let protection = environment.protection
        let metrics = environment.metrics
        metrics.socketOpened(route: route)
        // Per connection: a client that floods one socket is slowed without touching anyone else's.
        let budget = protection.connectionBudget()
        return SocketService(
            handle: { message in
                let started = ContinuousClock.now
                var outcome = "ok"
                defer { metrics.socketMessage(route: route, outcome: outcome, seconds: (ContinuousClock.now - started).seconds) }
                if let wait = await budget?.take("messages", rule: protection.rule(.messages)) {
                    let seconds = ServerProtection.seconds(wait)
                    outcome = "rate_limited"
                    try await write(writer, .failure(code: "rate_limited", message: "too many messages; try again in \(seconds) s"))
                    return
                }
                guard case .text(let text) = message else {
                    outcome = "bad_frame"
                    try await write(writer, .failure(code: "bad_frame", message: textHint))
                    return
                }
                let input: C.Input
                do {
                    input = try C.input(fromFrame: text)
                } catch {
                    outcome = "bad_message"
                    try await write(writer, failure(error, code: "bad_message", logger: logger))
                    return
                }
                do {
                    try await conversation.handle(input) { event in try? await write(writer, event) }
                } catch is CancellationError {
                    throw CancellationError()
                } catch {
                    let frame = failure(error, code: failureCode, logger: logger, notRecorded: environment.notRecorded)
                    if case .failure(let code, _) = frame { outcome = code }
                    try await write(writer, frame)
                }
            },
            closed: {
                metrics.socketClosed(route: route)
                closed()
            })
    }

    /// The frame a failure becomes: a `ConversationFailure` as it is, anything else generic (details in the log).
    static func failure(_ error: any Error, code: String, logger: Logger, notRecorded: String? = nil) -> ConversationEvent {
        if let notRecorded, case LLMError.cassetteMiss(let miss) = error {
            logger.info("demo has no recording for a message", metadata: ["miss": "\(miss)"])
            return .failure(code: LLMError.cassetteMiss(miss).code, message: notRecorded)
        }
        if let failure = error as? any ConversationFailure {
            return .failure(code: failure.code, message: failure.userMessage)
        }
        logger.error("conversation failed", metadata: ["code": "\(code)", "error": "\(error)"])
        return .failure(code: code, message: "the message could not be handled; the server log has the details")
    }

    /// An event as its wire frame.
    static func frame(_ event: ConversationEvent) -> JSONValue { event.wireFrame }

    /// Writes one event.
    static func write(_ writer: SocketWriter, _ event: ConversationEvent) async throws {
        try await writer.write(frame(event).canonicalString)
    }
}
