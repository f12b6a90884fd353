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
    private var closing = false

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

    func handlerRemoved(context: ChannelHandlerContext) {
        pingTimer?.cancel()
        pingTimer = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        pingTimer?.cancel()
        pingTimer = nil
        connection.closeDown()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard !closing else { return }
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
            // Answer with the peer's own code (or a normal closure), then end the connection.
            var data = frame.unmaskedData
            let code = data.readWebSocketErrorCode() ?? .normalClosure
            close(code, context: context)
        default:
            close(.protocolError, context: context)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            close(.goingAway, context: context)
        } else {
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

    private func close(_ code: WebSocketErrorCode, reason: String? = nil, context: ChannelHandlerContext) {
        guard !closing else { return }
        closing = true
        pingTimer?.cancel()
        let frame = SocketFrames.close(code, reason: reason, allocator: context.channel.allocator)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(frame)).whenComplete { _ in channel.close(promise: nil) }
    }
}
