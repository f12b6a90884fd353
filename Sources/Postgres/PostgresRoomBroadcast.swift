import Foundation
import Logging
import PostgresNIO
import VividCrowdCore

/// Named rooms across instances through PostgreSQL's `LISTEN`/`NOTIFY` (no other broker): an event published here
/// reaches this instance's connections at once and every other instance's through one notification channel, which
/// each instance listens on with a connection of its own (reconnecting when it drops). Events leave through one
/// outbox per instance, a batch per transaction, so a room's events arrive in the order they were sent, also after
/// their sender has gone. A payload over
/// PostgreSQL's 8,000-byte limit travels in `room_events`, and the notification carries its row id.
public actor PostgresRoomBroadcast: RoomBroadcast {
    /// The notification channel.
    static let channel = "vividcrowd_rooms"
    /// Payloads up to this many bytes go inline (PostgreSQL's limit is 8,000).
    static let inlineLimit = 7_500

    private let backend: PostgresBackend
    private let local = LocalRoomBroadcast()
    /// This instance, so it skips its own notifications (its connections had the events already).
    private let instance = UUID()
    private var listener: Task<Void, Never>?
    private var listening = false
    /// Encoded events waiting to be notified, oldest first, and the task sending them.
    private var outbox: [String] = []
    private var sender: Task<Void, Never>?
    /// Numbers this instance's events: PostgreSQL delivers identical payloads of one transaction only once, and two
    /// chunks of a reply can be the same text.
    private var sequence = 0

    init(backend: PostgresBackend) { self.backend = backend }

    deinit { listener?.cancel() }

    public func publish(_ event: ConversationEvent, room: String, from origin: UUID) async {
        await local.publish(event, room: room, from: origin)
        sequence += 1
        outbox.append(
            RelayedEvent(instance: instance, sequence: sequence, room: room, origin: origin, frame: event.wireFrame).encoded)
        if sender == nil { sender = Task { await self.drain() } }
    }

    /// Sends what the outbox holds, oldest first, until it is empty. It runs on its own, so a speaker whose connection
    /// closes right after its last frame (cancelling its handler) still has that frame relayed.
    private func drain() async {
        while !outbox.isEmpty {
            let batch = outbox
            outbox.removeAll()
            do {
                try await send(batch)
            } catch {
                // This instance's connections had the events; other instances miss them, which the log says.
                backend.logger.warning(
                    "room events not relayed to other instances", metadata: ["events": "\(batch.count)", "error": "\(error)"])
            }
        }
        sender = nil
    }

    /// One transaction: payloads too large for a notification go to `room_events` first, then every notification
    /// is sent in one statement, in order (one transaction's notifications arrive in the order they were sent).
    private func send(_ payloads: [String]) async throws {
        let logger = backend.logger
        try await backend.write { connection in
            var notes: [String] = []
            for payload in payloads {
                if payload.utf8.count <= Self.inlineLimit {
                    notes.append(payload)
                    continue
                }
                // Rows older than a minute were read long ago by every listener (or never will be).
                try await connection.run(
                    "DELETE FROM room_events WHERE created_at < now() - interval '1 minute'", logger: logger)
                let id = try await connection.rows(
                    "INSERT INTO room_events (payload) VALUES (\(payload)) RETURNING id", logger: logger
                ).first.map { try $0.decode(Int.self) } ?? 0
                notes.append("@\(id)")
            }
            try await connection.run(
                """
                SELECT pg_notify(\(Self.channel), note) FROM
                    (SELECT note FROM unnest(\(notes)) WITH ORDINALITY AS sent (note, position) ORDER BY position) AS ordered
                """, logger: logger)
        }
    }

    public func subscribe(room: String, connection: UUID) async -> AsyncStream<ConversationEvent> {
        await startListening()
        return await local.subscribe(room: room, connection: connection)
    }

    public func unsubscribe(room: String, connection: UUID) async {
        await local.unsubscribe(room: room, connection: connection)
    }

    /// Connections subscribed to `room` on this instance.
    public func subscriberCount(room: String) async -> Int { await local.subscriberCount(room: room) }

    /// Whether this instance's `LISTEN` is in place (events other instances publish now arrive).
    public var isListening: Bool { listening }

    /// Stops listening.
    func stop() {
        listener?.cancel()
        listener = nil
    }

    /// Starts the listener once and waits (up to 5 s) until its `LISTEN` is in place, so that what other instances
    /// publish from then on arrives.
    private func startListening() async {
        if listener == nil {
            listener = Task { [weak self] in await self?.listen() }
        }
        for _ in 0..<100 where !listening {
            try? await Task.sleep(for: .milliseconds(50))
        }
        if !listening {
            backend.logger.warning("room events from other instances may be missed: not listening yet after 5 s")
        }
    }

    /// Listens until cancelled, reconnecting a second after a failure.
    private func listen() async {
        let logger = backend.logger
        while !Task.isCancelled {
            do {
                let connection = try await PostgresConnection.connect(
                    configuration: try backend.url.connectionConfiguration(), id: 1, logger: logger)
                defer { Task { try? await connection.close() } }
                try await connection.listen(on: Self.channel) { notifications in
                    self.listening = true
                    logger.debug("listening for room events", metadata: ["channel": "\(Self.channel)"])
                    for try await notification in notifications {
                        await self.deliver(notification.payload, connection: connection)
                    }
                }
            } catch {
                if !Task.isCancelled {
                    logger.warning("room listener lost its connection; reconnecting", metadata: ["error": "\(error)"])
                }
            }
            listening = false
            try? await Task.sleep(for: .seconds(1))
        }
    }

    private func deliver(_ payload: String, connection: PostgresConnection) async {
        var text = payload
        if payload.hasPrefix("@"), let id = Int(payload.dropFirst()) {
            let rows = try? await connection.query("SELECT payload FROM room_events WHERE id = \(id)", logger: backend.logger).collect()
            guard let stored = try? rows?.first?.decode(String.self) else { return }
            text = stored
        }
        guard let message = RelayedEvent(encoded: text), message.instance != instance,
            let event = ConversationEvent(wireFrame: message.frame)
        else { return }
        await local.publish(event, room: message.room, from: message.origin)
    }
}

/// One room event on the notification channel.
struct RelayedEvent {
    var instance: UUID
    var sequence: Int
    var room: String
    var origin: UUID
    var frame: JSONValue

    var encoded: String {
        JSONValue.object([
            "i": .string(instance.uuidString), "n": .number(Double(sequence)), "r": .string(room),
            "o": .string(origin.uuidString), "e": frame,
        ]).canonicalString
    }

    init(instance: UUID, sequence: Int, room: String, origin: UUID, frame: JSONValue) {
        self.instance = instance
        self.sequence = sequence
        self.room = room
        self.origin = origin
        self.frame = frame
    }

    init?(encoded: String) {
        guard let object = (try? JSONValue.parse(encoded))?.objectValue,
            let instance = object["i"]?.stringValue.flatMap(UUID.init(uuidString:)),
            let room = object["r"]?.stringValue, let origin = object["o"]?.stringValue.flatMap(UUID.init(uuidString:)),
            let frame = object["e"], let sequence = object["n"]?.intValue
        else { return nil }
        self.init(instance: instance, sequence: sequence, room: room, origin: origin, frame: frame)
    }
}
