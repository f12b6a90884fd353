import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOWebSocket

/// HTTP/1 with WebSocket upgrades, where an upgraded connection is served by channel handlers rather than by a
/// task per connection. A request asking to upgrade goes through the socket router (its middleware, then the route's
/// `shouldUpgrade`); a route that accepts it leaves its opener in the request context, which runs in the connection's
/// task once the handshake is done and then hands the socket to ``SocketConnection``. Every other request is
/// Hummingbird's HTTP/1 handling.
struct SocketUpgradeChannel<SocketResponder: HTTPResponder>: ServerChildChannel, HTTPChannelHandler
where SocketResponder.Context == AppWebSocketContext {
    enum UpgradeResult: Sendable {
        case socket(SocketConnection, SocketOpener)
        case notUpgraded(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
        case failedUpgrade(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>, Logger)
    }

    struct Value: ServerChildChannelValue {
        let upgradeResult: EventLoopFuture<UpgradeResult>
        let channel: any Channel
    }

    /// HTTP/1 settings, and the socket's: largest frame and message, and the ping period (nil: no pings).
    struct Configuration: Sendable {
        var http1: HTTP1Channel.Configuration
        var maximumMessageBytes: Int
        var pingPeriod: TimeAmount?
    }

    let responder: HTTPChannelHandler.Responder
    let socketResponder: SocketResponder
    let configuration: Configuration

    init(responder: @escaping HTTPChannelHandler.Responder, socketResponder: SocketResponder, configuration: Configuration) {
        self.responder = Self.redirectingLateUpgrades(responder)
        self.socketResponder = socketResponder
        self.configuration = configuration
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let upgradeAttempted = NIOLoopBoundBox(false, eventLoop: channel.eventLoop)
            let logger = {
                var logger = logger
                logger[metadataKey: "hb.request.id"] = .stringConvertible(RequestID())
                return logger
            }()
            // The opener the route chose, from the handshake's answer to the pipeline it configures.
            let chosen = NIOLockedValueBox<SocketOpener?>(nil)
            let upgrader = NIOTypedWebSocketServerUpgrader<UpgradeResult>(
                maxFrameSize: configuration.maximumMessageBytes,
                shouldUpgrade: { channel, head in
                    upgradeAttempted.value = true
                    let promise = channel.eventLoop.makePromise(of: HTTPHeaders?.self)
                    promise.completeWithTask {
                        guard let (headers, opener) = try await self.route(head, channel: channel, logger: logger) else { return nil }
                        chosen.withLockedValue { $0 = opener }
                        return HTTPHeaders(headers)
                    }
                    return promise.futureResult
                },
                upgradePipelineHandler: { channel, _ in
                    channel.eventLoop.makeCompletedFuture {
                        guard let opener = chosen.withLockedValue({ $0 }) else {
                            preconditionFailure("the pipeline is upgraded only after a route accepted the handshake")
                        }
                        let connection = SocketConnection(channel: channel, logger: logger)
                        try channel.pipeline.syncOperations.addHandler(
                            SocketFrameHandler(
                                connection: connection, maximumMessageBytes: configuration.maximumMessageBytes,
                                pingPeriod: configuration.pingPeriod))
                        return UpgradeResult.socket(connection, opener)
                    }
                })
            let serverUpgradeConfiguration = NIOTypedHTTPServerUpgradeConfiguration(
                upgraders: [upgrader],
                notUpgradingCompletionHandler: { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
                        try channel.pipeline.syncOperations.addHandlers(configuration.http1.additionalChannelHandlers())
                        try channel.pipeline.syncOperations.addHandler(
                            HTTPConnectionStateHandler(idleTimeout: configuration.http1.idleTimeout.map { .init($0) }, logger: logger))
                        let asyncChannel = try NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>(
                            wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                        return upgradeAttempted.value ? UpgradeResult.failedUpgrade(asyncChannel, logger) : .notUpgraded(asyncChannel)
                    }
                })
            var upgradeConfiguration = NIOUpgradableHTTPServerPipelineConfiguration<UpgradeResult>(upgradeConfiguration: serverUpgradeConfiguration)
            upgradeConfiguration.enablePipelining = false  // HTTP is pipelined by NIOAsyncChannel
            upgradeConfiguration.enableErrorHandling = false  // Hummingbird handles these
            upgradeConfiguration.enableResponseHeaderValidation = false  // Swift HTTP Types validate already
            upgradeConfiguration.decoderConfiguration.maxHeaderFieldSize = configuration.http1.httpDecoder.maxHeaderFieldSize
            upgradeConfiguration.decoderConfiguration.maxHeaderListSize = configuration.http1.httpDecoder.maxHeaderListSize
            upgradeConfiguration.decoderConfiguration.maxHeaderFieldCount = configuration.http1.httpDecoder.maxHeaderFieldCount
            let negotiated = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(configuration: upgradeConfiguration)
            return Value(upgradeResult: negotiated, channel: channel)
        }
    }

    func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.upgradeResult.get() {
            case .notUpgraded(let http1):
                await handleHTTP(asyncChannel: http1, logger: logger)
            case .failedUpgrade(let http1, let logger):
                logger.debug("socket upgrade refused")
                await refuseUpgrade(http1, logger: logger)
            case .socket(let connection, let opener):
                // The route's opening (a session looked up or made, its first frames) runs here; after it this task
                // ends, and the socket lives on in its channel.
                let writer = SocketWriter(channel: connection.channel)
                do {
                    if let service = try await opener(writer) {
                        connection.open(service)
                    } else {
                        // The route has said all it will (or has closed already: a second close is ignored).
                        writer.close(.normalClosure)
                    }
                } catch {
                    connection.logger.debug("socket opening failed", metadata: ["error": "\(error)"])
                    writer.close(.unexpectedServerError)
                }
            }
        } catch let error as ChannelError where error == .inputClosed || error == .inappropriateOperationForState {
            // The peer (or a shutdown) closed the connection before its first request was read.
            logger.trace("the connection closed before its first request")
        } catch {
            logger.error("connection setup failed", metadata: ["error.type": .string("\(error)")])
        }
    }

    /// The route that accepts this handshake: the headers to answer with and its opener; nil when none does.
    private func route(_ head: HTTPRequestHead, channel: any Channel, logger: Logger) async throws -> (HTTPFields, SocketOpener)? {
        let request = Request(head: try HTTPRequest(head, secure: false, splitCookie: false), body: .init(buffer: .init()))
        let context = AppWebSocketContext(source: .init(channel: channel, logger: logger))
        guard let response = try? await socketResponder.respond(to: request, context: context), response.status == .ok,
            let opener = context.socketOpening.take()
        else { return nil }
        return (response.headers, opener)
    }

    /// A refused handshake gets an empty 400 and the connection closes.
    private func refuseUpgrade(_ http1: NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>, logger: Logger) async {
        do {
            try await http1.executeThenClose { _, outbound in
                let head = HTTPResponse(status: .badRequest, headerFields: [.connection: "close", .contentLength: "0"])
                try await outbound.write(contentsOf: [.head(head), .end(nil)])
            }
        } catch {
            logger.trace("the refusal could not be written", metadata: ["error": "\(error)"])
        }
    }

    /// An upgrade asked for after an earlier request on the same connection is answered with a redirect to the same
    /// address and the connection closed: NIO reads upgrade headers on a connection's first request only, and the
    /// client's next connection then starts with the upgrade.
    static func redirectingLateUpgrades(_ responder: @escaping HTTPChannelHandler.Responder) -> HTTPChannelHandler.Responder {
        return { request, responseWriter, channel in
            guard request.headers[.upgrade] == "websocket" else { return try await responder(request, responseWriter, channel) }
            var path = request.uri.path
            if let query = request.uri.query { path += "?\(query)" }
            try await responseWriter.writeResponse(HTTPResponse(status: .temporaryRedirect, headerFields: [.connection: "close", .location: path]))
            throw LateUpgradeRedirected()
        }
    }
}

/// Ends a connection whose late upgrade request was answered with a redirect.
private struct LateUpgradeRedirected: Error {}

/// A socket route's opening, once its connection is upgraded: writes the opening frames, then returns what serves
/// the messages (nil when the route has closed the connection).
typealias SocketOpener = @Sendable (SocketWriter) async throws -> SocketService?

extension HTTPServerBuilder {
    /// HTTP/1 with event-driven WebSocket upgrades (``SocketUpgradeChannel``), every connection guarded by `limits`.
    static func guardedSocketUpgrade<SocketRouter: HTTPResponderBuilder>(
        socketRouter: SocketRouter, configuration: SocketUpgradeChannel<SocketRouter.Responder>.Configuration,
        limits: ConnectionLimits, count: ConnectionCount
    ) -> HTTPServerBuilder where SocketRouter.Responder.Context == AppWebSocketContext {
        let socketResponder = socketRouter.buildResponder()
        return .init { responder in
            GuardedChildChannel(
                base: SocketUpgradeChannel(responder: responder, socketResponder: socketResponder, configuration: configuration),
                limits: limits, count: count)
        }
    }
}
