import Foundation

/// Delivers a named room's events to every connection in it: on this instance, and through a shared store to the
/// room's connections on other instances. The store seam supplies it (`VividCrowdStore.rooms`).
public protocol RoomBroadcast: Sendable {
    /// Sends `event` of `room` to every subscribed connection but `origin` (which saw it already).
    func publish(_ event: ConversationEvent, room: String, from origin: UUID) async
    /// The events of `room` for one connection, until it unsubscribes. When this returns, events published
    /// afterwards on any instance reach the stream.
    func subscribe(room: String, connection: UUID) async -> AsyncStream<ConversationEvent>
    /// Ends a connection's stream.
    func unsubscribe(room: String, connection: UUID) async
}

/// The broadcast within one process: each room's subscribers and their streams.
public actor LocalRoomBroadcast: RoomBroadcast {
    private var subscribers: [String: [UUID: AsyncStream<ConversationEvent>.Continuation]] = [:]
    /// Events a slow connection may fall behind by before the oldest are dropped.
    public static let backlog = 1_000

    public init() {}

    public func publish(_ event: ConversationEvent, room: String, from origin: UUID) {
        for (connection, continuation) in subscribers[room] ?? [:] where connection != origin {
            continuation.yield(event)
        }
    }

    public func subscribe(room: String, connection: UUID) -> AsyncStream<ConversationEvent> {
        let (stream, continuation) = AsyncStream<ConversationEvent>.makeStream(bufferingPolicy: .bufferingNewest(Self.backlog))
        subscribers[room, default: [:]][connection]?.finish()
        subscribers[room, default: [:]][connection] = continuation
        return stream
    }

    public func unsubscribe(room: String, connection: UUID) {
        subscribers[room]?.removeValue(forKey: connection)?.finish()
        if subscribers[room]?.isEmpty == true { subscribers.removeValue(forKey: room) }
    }

    /// Connections subscribed to `room` on this instance.
    public func subscriberCount(room: String) -> Int { subscribers[room]?.count ?? 0 }
}
