import Foundation
import Testing
import VividCrowdCore
import VividCrowdPostgres
import VividCrowdTesting

/// The first `count` events of a stream, or fewer if it ends or `limit` passes first.
func first(_ count: Int, of stream: AsyncStream<ConversationEvent>, within limit: Duration = .seconds(10)) async -> [ConversationEvent] {
    await withTaskGroup(of: [ConversationEvent]?.self) { group in
        group.addTask {
            var events: [ConversationEvent] = []
            for await event in stream {
                events.append(event)
                if events.count == count { break }
            }
            return events
        }
        group.addTask {
            try? await Task.sleep(for: limit)
            return nil
        }
        let result = await group.next() ?? nil
        group.cancelAll()
        return result ?? []
    }
}

@Suite("Room broadcast", .timeLimit(.minutes(2)))
struct RoomBroadcastTests {
    @Test("every connection in the room but the sender gets its events, in order; other rooms get nothing")
    func local() async throws {
        let broadcast = LocalRoomBroadcast()
        let (a, b, c) = (UUID(), UUID(), UUID())
        let streamA = await broadcast.subscribe(room: "room:x", connection: a)
        let streamB = await broadcast.subscribe(room: "room:x", connection: b)
        let streamC = await broadcast.subscribe(room: "room:y", connection: c)
        let events: [ConversationEvent] = [.typing(sender: "Ana"), .streamChunk(sender: "Ana", content: "hi"), .streamEnd(sender: "Ana")]
        for event in events { await broadcast.publish(event, room: "room:x", from: a) }
        await broadcast.unsubscribe(room: "room:x", connection: a)
        await broadcast.unsubscribe(room: "room:x", connection: b)
        await broadcast.unsubscribe(room: "room:y", connection: c)
        #expect(await first(3, of: streamB) == events)
        #expect(await first(3, of: streamA).isEmpty)
        #expect(await first(3, of: streamC).isEmpty)
        #expect(await broadcast.subscriberCount(room: "room:x") == 0)
    }

    @Test("wire frames read back as the events they came from")
    func wireFrames() {
        let events: [ConversationEvent] = [
            .typing(sender: "Ana"), .streamStart(sender: "Ana"), .streamChunk(sender: "Ana", content: "你好"),
            .streamEnd(sender: "Ana"), .failure(code: "round_failed", message: "no"),
            .notice(ConversationFrame(type: "user_message", fields: ["sender": "user", "content": "hi"])),
        ]
        for event in events { #expect(ConversationEvent(wireFrame: event.wireFrame) == event) }
        #expect(ConversationEvent(wireFrame: ["content": "no type"]) == nil)
    }

    @Test("through PostgreSQL, a room's events reach its connections on another instance in order, large ones too",
          .enabled(if: StoreBackend.postgresURL != nil))
    func acrossInstances() async throws {
        let a = try await StoreBackend.freshPostgresStore()
        let b = try PostgresStore(url: a.backend.url, maximumConnections: 2, leaseTimeout: StoreBackend.leaseTimeout)
        let (speaker, listener, bystander) = (UUID(), UUID(), UUID())
        let heard = await b.rooms.subscribe(room: "room:lobby", connection: listener)
        let elsewhere = await b.rooms.subscribe(room: "room:other", connection: bystander)
        let large = String(repeating: "长", count: 3_000)  // 9,000 bytes: over NOTIFY's limit
        // Identical chunks too: a reply can repeat itself, and every repetition must arrive.
        var events: [ConversationEvent] = (0..<30).map { .streamChunk(sender: "Ana", content: "piece \($0 % 4)") }
        events.insert(.notice(ConversationFrame(type: "user_message", fields: ["sender": "user", "content": .string(large)])), at: 0)
        events.append(.streamEnd(sender: "Ana"))
        for event in events { await a.rooms.publish(event, room: "room:lobby", from: speaker) }
        // A generous limit: in a full parallel run the test pool's threads can be busy for a minute or more (server
        // start-ups), and a short timer woken at the same moment as the listener would win the race.
        #expect(await first(events.count, of: heard, within: .seconds(300)) == events)
        await b.rooms.unsubscribe(room: "room:other", connection: bystander)
        #expect(await first(1, of: elsewhere, within: .milliseconds(200)).isEmpty)
        try await b.close()
    }
}
