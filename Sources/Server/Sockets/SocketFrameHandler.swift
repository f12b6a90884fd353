import NIOCore
import NIOWebSocket

/// The last handler of an upgraded socket's pipeline, on its event loop: joins fragmented messages, answers pings
/// and close frames, pings the peer every period (closing the connection when a ping goes unanswered for a period),
/// and hands whole messages to the connection's queue. Protocol errors close the connection with their code.
final class SocketFrameHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let connection: SocketConnection
    private let maximumMessageBytes: Int
    private let pingPeriod: TimeAmount?
    private var fragments: (opcode: WebSocketOpcode, data: ByteBuffer)?
    private var pingTimer: RepeatedTask?
    private var awaitingPong = false
    /// Set once a close frame has been sent: the connection ends when the peer's answers it, or after `closeTimeout`.
    private var closing = false
    private var closeTimer: Scheduled<Void>?

    /// How long a close the server started waits for the peer's close frame before the connection is dropped.
    static let closeTimeout: TimeAmount = .seconds(5)

    init(connection: SocketConnection, maximumMessageBytes: Int, pingPeriod: TimeAmount?) {
        self.connection = connection
        self.maximumMessageBytes = maximumMessageBytes
        self.pingPeriod = pingPeriod
    }

    func handlerAdded(context: ChannelHandlerContext) {
        guard let pingPeriod else { return }
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        pingTimer = context.eventLoop.scheduleRepeatedTask(initialDelay: pingPeriod, delay: pingPeriod) { _ in
            let (handler, context) = bound.value
            handler.ping(context: context)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) { stopTimers() }

    func channelInactive(context: ChannelHandlerContext) {
        stopTimers()
        connection.closeDown()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard !closing else {
            // Waiting for the peer's answer to our close frame; anything else it sends meanwhile is dropped.
            if frame.opcode == .connectionClose { context.close(promise: nil) }
            return
        }
        // No extension is negotiated, so no reserved bit may be set.
        guard !frame.rsv1, !frame.rsv2, !frame.rsv3 else { return close(.protocolError, context: context) }
        switch frame.opcode {
        case .text, .binary:
            guard fragments == nil else { return close(.protocolError, context: context) }
            let data = frame.unmaskedData
            guard data.readableBytes <= maximumMessageBytes else { return close(.messageTooLarge, context: context) }
            if frame.fin {
                deliver(frame.opcode, data)
            } else {
                fragments = (frame.opcode, data)
            }
        case .continuation:
            guard let (opcode, buffered) = fragments else { return close(.protocolError, context: context) }
            var data = buffered
            var piece = frame.unmaskedData
            guard data.readableBytes + piece.readableBytes <= maximumMessageBytes else {
                fragments = nil
                return close(.messageTooLarge, context: context)
            }
            data.writeBuffer(&piece)
            if frame.fin {
                fragments = nil
                deliver(opcode, data)
            } else {
                fragments = (opcode, data)
            }
        case .ping:
            guard frame.fin else { return close(.protocolError, context: context) }
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)), promise: nil)
        case .pong:
            awaitingPong = false
        case .connectionClose:
            // The peer's close: answer with its own code (or a normal closure), then end the connection.
            var data = frame.unmaskedData
            let code = data.readWebSocketErrorCode() ?? .normalClosure
            closing = true
            stopTimers()
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(SocketFrames.close(code, reason: nil, allocator: channel.allocator)))
                .whenComplete { _ in channel.close(promise: nil) }
        default:
            close(.protocolError, context: context)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case is ChannelShouldQuiesceEvent:
            close(.goingAway, context: context)
        case let request as SocketCloseRequest:
            close(request.code, reason: request.reason, context: context)
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func deliver(_ opcode: WebSocketOpcode, _ data: ByteBuffer) {
        // Invalid UTF-8 is repaired, as the transport before this one did: the message is still answered.
        connection.received(opcode == .text ? .text(String(buffer: data)) : .binary)
    }

    private func ping(context: ChannelHandlerContext) {
        guard !closing else { return }
        guard !awaitingPong else { return close(.goingAway, reason: "ping timeout", context: context) }
        awaitingPong = true
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .ping, data: context.channel.allocator.buffer(capacity: 0))), promise: nil)
    }

    /// Starts the closing handshake: a close frame, then the connection ends when the peer answers it or after
    /// `closeTimeout`. Closing the connection at once would leave the peer's answer unread, and a socket closed with
    /// unread data is reset rather than ended, which the peer then reports as an error.
    private func close(_ code: WebSocketErrorCode, reason: String? = nil, context: ChannelHandlerContext) {
        guard !closing else { return }
        closing = true
        stopTimers()
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(SocketFrames.close(code, reason: reason, allocator: channel.allocator)))
            .whenFailure { _ in channel.close(promise: nil) }
        closeTimer = context.eventLoop.scheduleTask(in: Self.closeTimeout) { channel.close(promise: nil) }
    }

    private func stopTimers() {
        pingTimer?.cancel()
        pingTimer = nil
        closeTimer?.cancel()
        closeTimer = nil
    }
}

/// Asks a socket's handler to close it with `code` (the closing handshake), from outside the event loop.
struct SocketCloseRequest: Sendable {
    let code: WebSocketErrorCode
    let reason: String?
}
