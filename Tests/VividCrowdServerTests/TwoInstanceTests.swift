import Foundation
import HummingbirdTesting
import Testing
import VividCrowdCore
import VividCrowdPostgres
import VividCrowdTesting

@testable import vividcrowd_server

extension ServerSuites {
    /// Two server instances on one PostgreSQL database, as behind a load balancer: any instance serves any request.
    @Suite("Two instances on PostgreSQL", .serialized, .enabled(if: StoreBackend.postgresURL != nil), .timeLimit(.minutes(3)))
    struct TwoInstanceTests {
        @Test("an import through one is answered by the other; a session created on one continues, is rated and counted on the other")
        func sharedKnowledgeBaseAndSessions() async throws {
            let database = try await StoreBackend.freshPostgresStore().backend.url.database
            let url = try #require(StoreBackend.postgresURL(database: database))
            let extra = ["DATABASE_URL": url, "BM25_WEIGHT": "0.6", "EMBEDDING_WEIGHT": "0.4"]
            try await withTestServer(extra: extra) { a, servicesA in
                try await withTestServer(extra: extra) { b, _ in
                    #expect(servicesA.store.location.hasPrefix("postgres://"))
                    let imported = try await importCSV(a, fileName: "qa.csv", contents: qaCSV)
                    #expect(imported.status == .ok, "\(imported.json)")
                    let countA = try await requestJSON(a, "/api/customer-service/qa/count").json
                    let countB = try await requestJSON(b, "/api/customer-service/qa/count").json
                    #expect(countA == countB && countB["count"]?.intValue == 499, "\(countB)")

                    // The session starts on A, continues on B (the socket's ?session_id=), is rated through A.
                    let first = try await converse(a, [messageFrame(BandQuestions.high)])
                    let session = try #require(await first.sessionFrame?["session_id"]?.stringValue)
                    let second = try await converse(
                        b, path: "/api/customer-service/ws?session_id=\(session)", [messageFrame(BandQuestions.high)])
                    #expect(await second.replies.first?.last?["match_type"]?.stringValue == "high_confidence")
                    let rated = try await requestJSON(
                        a, "/api/customer-service/session/\(session)/rating", method: .post, body: #"{"rating": 5}"#)
                    #expect(rated.status == .ok)

                    let history = try await requestJSON(b, "/api/customer-service/session/\(session)/history").json
                    #expect(history["history"]?.arrayValue?.count == 2, "\(history)")
                    for client in [a, b] {
                        let stats = try await requestJSON(client, "/api/customer-service/stats").json
                        #expect(stats["total_sessions"]?.intValue == 1 && stats["total_messages"]?.intValue == 2, "\(stats)")
                        #expect(stats["rated_sessions"]?.intValue == 1 && stats["average_rating"]?.doubleValue == 5)
                        #expect(stats["match_type_distribution"]?["high_confidence"]?.intValue == 2)
                    }
                }
            }
        }

        @Test("a message to a named room through one instance reaches the room's connection on the other, frame for frame")
        func sharedRoom() async throws {
            let database = try await StoreBackend.freshPostgresStore().backend.url.database
            let url = try #require(StoreBackend.postgresURL(database: database))
            let extra = groupChatEnvironment.merging(["DATABASE_URL": url]) { _, new in new }
            try await withTestServer(extra: extra) { a, _ in
                try await withTestServer(extra: extra) { b, servicesB in
                    let rooms = try #require(servicesB.store as? PostgresStore).roomBroadcast
                    try await withThrowingTaskGroup(of: [JSONValue].self) { group in
                        group.addTask {
                            // B's connection only listens: it sends nothing and hears A's round.
                            let heard = FrameLog()
                            try await b.ws("/api/chat/ws?room=lobby") { inbound, outbound, _ in
                                var frames = inbound.messages(maxSize: 1 << 20).makeAsyncIterator()
                                var received: [JSONValue] = []
                                while case .text(let text)? = try await frames.next() {
                                    received.append(try JSONValue.parse(text))
                                    if received.last?["type"]?.stringValue == "round_end" { break }
                                }
                                await heard.append(received)
                                try await outbound.close(.normalClosure, reason: nil)
                            }
                            return await heard.replies.first ?? []
                        }
                        // B's connection subscribed and B listening: what A publishes from now on reaches B.
                        var ready = false
                        for _ in 0..<1200 {
                            let listening = await rooms.isListening
                            ready = await rooms.subscriberCount(room: "room:lobby") == 1 && listening
                            if ready { break }
                            try await Task.sleep(for: .milliseconds(25))
                        }
                        try #require(ready, "B's connection never subscribed, or B never listened")
                        let sent = try await socketRounds(a, "/api/chat/ws?room=lobby", ["@小林 最近喝什么茶好？"])
                        let spoken = try #require(sent.first)
                        // B hears it soon, or the test fails here instead of waiting for ever.
                        group.addTask {
                            try await Task.sleep(for: .seconds(60))
                            return [["type": "timed out"]]
                        }
                        let heard = try #require(try await group.next())
                        group.cancelAll()
                        try #require(heard != [["type": "timed out"]], "B heard nothing of A's round within 60 s")
                        #expect(heard.first == ["type": "user_message", "sender": "user", "content": "@小林 最近喝什么茶好？"])
                        #expect(Array(heard.dropFirst()) == spoken)
                        #expect(spoken.last?["type"]?.stringValue == "round_end" && spoken.count > 3)
                    }
                }
            }
        }
    }
}
