import HummingbirdWebSocket
import Synchronization

/// Handles a socket's messages one at a time while the inbound stream keeps being read, so pings are answered
/// even while a long reply (an LLM stream, a group-chat round with typing delays) is being produced.
enum SerialMessages {
    static func process(
        _ inbound: WebSocketInboundStream, maxSize: Int, _ handle: @escaping @Sendable (WebSocketMessage) async throws -> Void
    ) async throws {
        let queue = MessageQueue()
        try await withThrowingDiscardingTaskGroup { group in
            do {
                for try await message in inbound.messages(maxSize: maxSize) {
                    guard queue.push(message) else { continue }
                    // No worker is running: start one. It ends when the queue is empty, so an idle socket holds no
                    // task besides its reader (each costs a few KB of task memory, times every open socket).
                    group.addTask {
                        while let next = queue.next() { try await handle(next) }
                    }
                }
            } catch {
                group.cancelAll()
                throw error
            }
            // The peer has gone: what is still queued has nobody to answer.
            group.cancelAll()
        }
    }
}

/// The messages read but not yet handled, and whether a worker is handling them.
private final class MessageQueue: Sendable {
    private let state = Mutex((messages: [WebSocketMessage](), working: false))

    /// Queues `message`; true when no worker is running (the caller starts one, which now counts as running).
    func push(_ message: WebSocketMessage) -> Bool {
        state.withLock { state in
            state.messages.append(message)
            guard !state.working else { return false }
            state.working = true
            return true
        }
    }

    /// The next message in order, or nil (and the worker counts as stopped) when none is left.
    func next() -> WebSocketMessage? {
        state.withLock { state in
            guard !state.messages.isEmpty else {
                state.working = false
                return nil
            }
            return state.messages.removeFirst()
        }
    }
}
