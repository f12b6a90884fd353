import Hummingbird
import HummingbirdWebSocket
import NIOCore

/// The request context of plain HTTP routes: Hummingbird's, plus the peer's address for per-client limits.
struct AppRequestContext: RequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}

/// The request context of the routes that upgrade to WebSocket, with the peer's address.
struct AppWebSocketContext: WebSocketRequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    let webSocket: WebSocketHandlerReference<Self>
    let remoteAddress: SocketAddress?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        webSocket = .init()
        remoteAddress = source.channel.remoteAddress
    }
}

extension RemoteAddressRequestContext {
    /// The client a limit applies to: its IP address ("unknown" when the transport has none).
    var clientKey: String { remoteAddress?.ipAddress ?? "unknown" }
}
