import Foundation
import HummingbirdTesting
import Testing
import VividCrowdCore
import VividCrowdTesting

@testable import vividcrowd_server

extension ServerSuites {
    /// Two server instances on one PostgreSQL database, as behind a load balancer: any instance serves any request.
    @Suite("Two instances on PostgreSQL", .serialized, .enabled(if: StoreBackend.postgresURL != nil))
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
    }
}
