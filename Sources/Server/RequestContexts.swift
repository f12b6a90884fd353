import Hummingbird
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

/// The request context of the routes that upgrade to WebSocket, with the peer's address and the opener of the route
/// that accepted the handshake.
struct AppWebSocketContext: RequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?
    let socketOpening: SocketOpeningHolder

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
        let holder = SocketOpeningHolder()
        socketOpening = holder
        // The opener captures this context (its logger, the request): letting go of it when the channel closes
        // breaks that cycle even when no upgrade took the opener.
        source.channel.closeFuture.whenComplete { _ in _ = holder.take() }
    }
}

/// The opener a socket route leaves for the upgrade, held until the upgrade takes it or the connection closes.
final class SocketOpeningHolder: Sendable {
    private let held = Mutex<SocketOpener?>(nil)

    func set(_ opener: @escaping SocketOpener) { held.withLock { $0 = opener } }

    /// The opener, once: taking it lets go of what it captured.
    func take() -> SocketOpener? {
        held.withLock { held in
            defer { held = nil }
            return held
        }
    }
}

extension Router where Context == AppWebSocketContext {
    /// A WebSocket route on `path`: `shouldUpgrade` runs before the handshake is answered (throw to refuse it, and
    /// no upgrade happens); `open` runs once the connection is upgraded, writes the opening frames, and returns what
    /// serves the messages (nil when it closed the connection).
    func socket(
        _ path: RouterPath, shouldUpgrade: @escaping @Sendable (Request, Context) async throws -> Void = { _, _ in },
        open: @escaping @Sendable (Request, Context, SocketWriter) async throws -> SocketService?
    ) {
        get(path) { request, context -> Response in
            try await shouldUpgrade(request, context)
            context.socketOpening.set { writer in try await open(request, context, writer) }
            return Response(status: .ok)
        }
    }
}

extension RemoteAddressRequestContext {
    /// The client a limit applies to: its IP address ("unknown" when the transport has none).
    var clientKey: String { remoteAddress?.ipAddress ?? "unknown" }
}
