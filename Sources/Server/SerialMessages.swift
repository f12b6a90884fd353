import HummingbirdWebSocket

/// Handles a socket's messages one at a time while the inbound stream keeps being read, so pings are answered
/// even while a long reply (an LLM stream, a group-chat round with typing delays) is being produced.
enum SerialMessages {
    static func process(
        _ inbound: WebSocketInboundStream, maxSize: Int, _ handle: @escaping @Sendable (WebSocketMessage) async throws -> Void
    ) async throws {
        let (queue, continuation) = AsyncStream<WebSocketMessage>.makeStream()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await message in queue { try await handle(message) }
            }
            do {
                for try await message in inbound.messages(maxSize: maxSize) { continuation.yield(message) }
                continuation.finish()
            } catch {
                continuation.finish()
                group.cancelAll()
                throw error
            }
            // The peer has gone: what is still queued has nobody to answer.
            group.cancelAll()
            try await group.waitForAll()
        }
    }
}
