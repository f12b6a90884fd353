import Hummingbird
import HummingbirdWebSocket
import NIOCore
import Synchronization

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
    let remoteAddress: SocketAddress?
    private let handlerReference: WebSocketHandlerHolder<AppWebSocketContext>

    var webSocket: WebSocketHandlerReference<Self> { handlerReference.reference }

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
        let holder = WebSocketHandlerHolder<AppWebSocketContext>()
        handlerReference = holder
        source.channel.closeFuture.whenComplete { _ in holder.release() }
    }
}

/// Holds a context's WebSocket handler reference until its connection closes. Hummingbird stores the handler
/// together with a copy of the context, and the context refers back to the handler: a cycle that kept every
/// connection's context (logger metadata, addresses) alive after its socket closed, about 1.5 KB per connection
/// (reports/reliability.md). Letting go of the reference when the channel closes breaks the cycle.
final class WebSocketHandlerHolder<Context: WebSocketRequestContext>: Sendable {
    private let held = Mutex<WebSocketHandlerReference<Context>?>(WebSocketHandlerReference())

    /// The reference while the connection is open; an empty one (no handler, so no upgrade) after it closed.
    var reference: WebSocketHandlerReference<Context> { held.withLock { $0 } ?? WebSocketHandlerReference() }

    func release() { held.withLock { $0 = nil } }
}

extension RemoteAddressRequestContext {
    /// The client a limit applies to: its IP address ("unknown" when the transport has none).
    var clientKey: String { remoteAddress?.ipAddress ?? "unknown" }
}
