import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import Synchronization

/// What the connection guards enforce, from `ProtectionSettings`.
struct ConnectionLimits: Sendable {
    var headerReadTimeout: TimeAmount
    var maxHeaderBytes: Int
    var maxConnections: Int
}

/// Open connections of one server, counted from accept to close (sockets included: the count follows the channel,
/// not the HTTP handlers a WebSocket upgrade removes).
final class ConnectionCount: Sendable {
    private let counts = Mutex((open: 0, closedEver: 0))

    /// Counts a new connection; returns how many are open with it.
    func opened() -> Int { counts.withLock { $0.open += 1; return $0.open } }
    func closed() { counts.withLock { $0.open -= 1; $0.closedEver += 1 } }
    /// Connections closed since the server started.
    var closedEver: Int { counts.withLock { $0.closedEver } }
    /// Connections open now.
    var open: Int { counts.withLock { $0.open } }
}

/// A short JSON answer written straight to the socket, for a connection that never reaches the HTTP handlers.
private func rawAnswer(_ status: String, _ detail: String, extra: String = "") -> String {
    let body = "{\"detail\": \"\(detail)\"}"
    return "HTTP/1.1 \(status)\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n"
        + "Connection: close\r\n\(extra)\r\n\(body)"
}

/// First in every connection's pipeline, before the HTTP decoder: refuses connections beyond the limit with 503,
/// and gives the first request head `headerReadTimeout` and `maxHeaderBytes` (408 or 431, then close). Later heads
/// are the HTTP-level guard's.
final class RawConnectionGuardHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let limits: ConnectionLimits
    private let count: ConnectionCount
    private var headBytes = 0
    private var tail: [UInt8] = []
    private var headDone = false
    private var answered = false
    private var timer: Scheduled<Void>?

    init(limits: ConnectionLimits, count: ConnectionCount) {
        self.limits = limits
        self.count = count
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let count = self.count
        let open = count.opened()
        context.channel.closeFuture.whenComplete { _ in count.closed() }
        guard open <= limits.maxConnections else {
            answer(rawAnswer("503 Service Unavailable", "the server is at its connection limit", extra: "Retry-After: 5\r\n"),
                   context: context)
            return
        }
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: limits.headerReadTimeout) {
            let (handler, context) = bound.value
            guard !handler.headDone else { return }
            handler.answer(rawAnswer("408 Request Timeout", "no complete request arrived in time"), context: context)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) { timer?.cancel() }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !answered else { return }
        if !headDone {
            let buffer = unwrapInboundIn(data)
            let bytes = tail + Array(buffer.readableBytesView)
            if let end = Self.endOfHead(bytes) {
                headDone = true
                timer?.cancel()
                headBytes += end - tail.count
            } else {
                headBytes += buffer.readableBytes
                tail = Array(bytes.suffix(3))
            }
            guard headBytes <= limits.maxHeaderBytes else {
                answer(rawAnswer("431 Request Header Fields Too Large", "the request head is too large"), context: context)
                return
            }
        }
        context.fireChannelRead(data)
    }

    /// The index just past the first blank line, if the bytes hold one.
    static func endOfHead(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 3..<bytes.count where bytes[index] == 10 && bytes[index - 1] == 13 && bytes[index - 2] == 10 && bytes[index - 3] == 13 {
            return index + 1
        }
        return nil
    }

    private func answer(_ text: String, context: ChannelHandlerContext) {
        guard !answered else { return }
        answered = true
        timer?.cancel()
        let buffer = context.channel.allocator.buffer(string: text)
        context.writeAndFlush(NIOAny(buffer)).whenComplete { _ in context.close(promise: nil) }
    }
}

/// After the first request, in HTTP terms: the next request head must arrive within `headerReadTimeout` of the
/// previous response (408), and an oversized or malformed head is answered (431 or 400) and closed, not left hanging.
final class ConnectionGuardHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let headerReadTimeout: TimeAmount
    private var headTimer: Scheduled<Void>?
    private var answered = false

    init(headerReadTimeout: TimeAmount) { self.headerReadTimeout = headerReadTimeout }

    func handlerRemoved(context: ChannelHandlerContext) {
        headTimer?.cancel()
        headTimer = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !answered else { return }
        if case .head = unwrapInboundIn(data) {
            headTimer?.cancel()
            headTimer = nil
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { armHeadTimer(context: context) }
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parse = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        switch parse {
        case .headerOverflow:
            answer(.init(code: 431, reasonPhrase: "Request Header Fields Too Large"), "the request head is too large", context: context)
        default:
            answer(.badRequest, "the request could not be parsed", context: context)
        }
    }

    private func armHeadTimer(context: ChannelHandlerContext) {
        headTimer?.cancel()
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        headTimer = context.eventLoop.scheduleTask(in: headerReadTimeout) {
            let (handler, context) = bound.value
            handler.headTimer = nil
            handler.answer(.requestTimeout, "no complete request arrived in time", context: context)
        }
    }

    private func answer(_ status: HTTPResponse.Status, _ detail: String, context: ChannelHandlerContext) {
        guard !answered else { return }
        answered = true
        headTimer?.cancel()
        let body = context.channel.allocator.buffer(string: "{\"detail\": \"\(detail)\"}")
        let headers: HTTPFields = [.contentType: "application/json", .connection: "close", .contentLength: String(body.readableBytes)]
        context.write(wrapOutboundOut(.head(HTTPResponse(status: status, headerFields: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
    }
}

/// An HTTP/1 + WebSocket child channel with the raw connection guard in front of it.
struct GuardedChildChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base
    let limits: ConnectionLimits
    let count: ConnectionCount

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        do {
            try channel.pipeline.syncOperations.addHandler(RawConnectionGuardHandler(limits: limits, count: count))
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        return base.setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async { await base.handle(value: value, logger: logger) }
}
