import Logging
import NIOCore
import NIOWebSocket
import Synchronization

/// A message read from a socket: a whole text message, or a binary one (which no route accepts).
enum SocketMessage: Sendable {
    case text(String)
    case binary
}

/// What serves an open socket: its messages, one at a time and in order, and what to undo once it closes.
struct SocketService: Sendable {
    let handle: @Sendable (SocketMessage) async throws -> Void
    let closed: @Sendable () -> Void

    init(handle: @escaping @Sendable (SocketMessage) async throws -> Void, closed: @escaping @Sendable () -> Void = {}) {
        self.handle = handle
        self.closed = closed
    }
}

/// Writes a socket's frames straight to its channel, in the order they are written.
struct SocketWriter: Sendable {
    let channel: any Channel

    /// Writes one text frame; returns once the channel has taken it.
    func write(_ text: String) async throws {
        let frame = WebSocketFrame(fin: true, opcode: .text, data: channel.allocator.buffer(string: text))
        try await channel.writeAndFlush(frame).get()
    }

    /// Closes the socket with `code` and `reason`: the closing handshake, which the socket's handler completes.
    func close(_ code: WebSocketErrorCode, reason: String? = nil) {
        channel.pipeline.fireUserInboundEventTriggered(SocketCloseRequest(code: code, reason: reason))
    }
}

/// Frames the server writes on its own account.
enum SocketFrames {
    /// A close frame with its status code and an optional reason (cut to fit a control frame's 125 bytes).
    static func close(_ code: WebSocketErrorCode, reason: String?, allocator: ByteBufferAllocator) -> WebSocketFrame {
        var data = allocator.buffer(capacity: 125)
        data.write(webSocketErrorCode: code)
        if let reason { data.writeBytes(reason.utf8.prefix(123)) }
        return WebSocketFrame(fin: true, opcode: .connectionClose, data: data)
    }
}

/// One open socket's messages: queued as the channel reads them, and handled one at a time by a task that runs only
/// while messages wait. An idle socket holds no task at all, only its channel: a task keeps every async frame it ever
/// reached (tens of KB a connection, times every open socket), where the channel's handlers take a few KB.
final class SocketConnection: Sendable {
    private struct State {
        var messages: [SocketMessage] = []
        var service: SocketService?
        /// The task answering messages, while one runs.
        var worker: Task<Void, Never>?
        var closed = false
        var readingPaused = false
    }

    /// Queued messages at which the channel stops reading, and the count at which it reads again.
    static let pauseReadingAt = 64
    static let resumeReadingAt = 16

    let channel: any Channel
    let logger: Logger
    private let state = Mutex(State())

    init(channel: any Channel, logger: Logger) {
        self.channel = channel
        self.logger = logger
    }

    /// Queues a message read from the socket; a worker starts when the route has opened and none is running.
    func received(_ message: SocketMessage) {
        let pause = state.withLock { state -> Bool in
            guard !state.closed else { return false }
            state.messages.append(message)
            startWorkerIfIdle(&state)
            guard state.messages.count >= Self.pauseReadingAt, !state.readingPaused else { return false }
            state.readingPaused = true
            return true
        }
        // A client that sends faster than its messages are answered waits in TCP, not in this process's memory.
        if pause { channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in } }
    }

    /// The route has written its opening frames: `service` answers the messages, those read meanwhile first.
    func open(_ service: SocketService) {
        let closedAlready = state.withLock { state -> Bool in
            guard !state.closed else { return true }
            state.service = service
            startWorkerIfIdle(&state)
            return false
        }
        if closedAlready { service.closed() }
    }

    /// The connection has closed: what is still queued has nobody to answer, and a message being answered stops.
    func closeDown() {
        let (worker, service) = state.withLock { state -> (Task<Void, Never>?, SocketService?) in
            guard !state.closed else { return (nil, nil) }
            state.closed = true
            state.messages = []
            // Let go of the service (its conversation, its writer's channel) as soon as the socket is gone.
            defer { state.service = nil }
            return (state.worker, state.service)
        }
        worker?.cancel()
        service?.closed()
    }

    private func startWorkerIfIdle(_ state: inout State) {
        guard let service = state.service, state.worker == nil, !state.messages.isEmpty else { return }
        state.worker = Task { [self] in
            while let message = next() {
                do {
                    try await service.handle(message)
                } catch {
                    // A frame could not be written (the peer went) or the route gave up: the connection ends.
                    logger.debug("socket closed after a failed message", metadata: ["error": "\(error)"])
                    SocketWriter(channel: channel).close(.unexpectedServerError)
                    return
                }
            }
        }
    }

    private func next() -> SocketMessage? {
        let (message, resume) = state.withLock { state -> (SocketMessage?, Bool) in
            guard !state.closed, !state.messages.isEmpty else {
                state.worker = nil
                return (nil, false)
            }
            let message = state.messages.removeFirst()
            guard state.readingPaused, state.messages.count <= Self.resumeReadingAt else { return (message, false) }
            state.readingPaused = false
            return (message, true)
        }
        if resume { channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in } }
        return message
    }
}
