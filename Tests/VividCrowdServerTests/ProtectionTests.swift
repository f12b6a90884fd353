import Foundation
import HTTPTypes
import HummingbirdTesting
import HummingbirdWSTesting
import Testing
import VividCrowdCore
import VividCrowdTesting
import WSClient

@testable import vividcrowd_server

private let header = "question_count,topic_name,typical_question,standard_script,risk_notes\n"
/// Two rows whose embeddings the customer-service cassette holds (the same batch as the replace-one-file test).
private let tinyCSV = Data((header + "3,Opening hours,When are you open?,We are open 9:00-18:00 on weekdays.,\n"
    + "2,Parking,Where can I park?,Use the garage on Elm Street.,Height limit 2.1 m\n").utf8)
private let originField = HTTPField.Name("Origin")!

extension ServerSuites {
    @Suite("Protection", .serialized)
    struct ProtectionTests {
        @Test("a foreign page cannot import, create sessions or open sockets; the server's own page and non-browser clients can")
        func foreignOrigins() async throws {
            try await withTestServer { client, _ in
                for foreign: HTTPFields in [[originField: "https://evil.example"], [.secFetchSite: "cross-site"], [originField: "null"]] {
                    let imported = try await importCSV(client, fileName: "kb.csv", contents: tinyCSV, headers: foreign)
                    #expect(imported.status == .forbidden, "\(foreign)")
                    #expect(imported.json["detail"]?.stringValue?.contains("CORS_ORIGINS") == true)
                    let session = try await client.execute(uri: "/api/customer-service/session", method: .post, headers: foreign)
                    #expect(session.status == .forbidden)
                }
                #expect(try await requestJSON(client, "/api/customer-service/qa/count").json["count"]?.intValue == 0)
                // Reading stays open to anyone, as before.
                let read = try await client.execute(uri: "/api/customer-service/stats", method: .get, headers: [originField: "https://evil.example"])
                #expect(read.status == .ok)
                // No Origin (curl, the original Python clients) and the page's own origin may write.
                #expect(try await importCSV(client, fileName: "kb.csv", contents: tinyCSV).status == .ok)
                // The test client names its host "localhost"; a browser's Origin carries the same host as its Host header.
                let own = try await client.execute(
                    uri: "/api/customer-service/session", method: .post, headers: [originField: "http://localhost"])
                #expect(own.status == .ok)

                // A foreign page's socket upgrade is refused before any session exists. (The socket client writes its
                // own Origin, so the browser's other signal stands in here; both go through the same check.)
                let before = try await requestJSON(client, "/api/customer-service/stats").json["total_sessions"]?.intValue
                let opened = Opened()
                _ = try? await client.ws(
                    "/api/customer-service/ws", configuration: .init(additionalHeaders: [.secFetchSite: "cross-site"])
                ) { _, _, _ in await opened.mark() }
                #expect(await opened.value == false)
                #expect(try await requestJSON(client, "/api/customer-service/stats").json["total_sessions"]?.intValue == before)
            }
        }

        @Test("CORS_ORIGINS lets a named origin in, with preflight and allow-origin headers; others are still refused")
        func allowedOrigin() async throws {
            try await withTestServer(extra: ["CORS_ORIGINS": "https://app.example/"]) { client, _ in
                let preflight = try await client.execute(
                    uri: "/api/customer-service/session", method: .options,
                    headers: [originField: "https://app.example", HTTPField.Name("Access-Control-Request-Method")!: "POST"])
                #expect(preflight.status == .noContent)
                #expect(preflight.headers[.accessControlAllowOrigin] == "https://app.example")
                let created = try await client.execute(
                    uri: "/api/customer-service/session", method: .post, headers: [originField: "https://app.example"])
                #expect(created.status == .ok)
                #expect(created.headers[.accessControlAllowOrigin] == "https://app.example")
                let other = try await client.execute(
                    uri: "/api/customer-service/session", method: .options, headers: [originField: "https://evil.example"])
                #expect(other.status == .forbidden)
            }
        }

        @Test("every response carries the security headers, errors and pages included")
        func securityHeaders() async throws {
            try await withTestServer { client, _ in
                for (uri, method) in [("/", HTTPRequest.Method.get), ("/health", .get), ("/nowhere", .get), ("/docs.js", .get),
                                      ("/api/customer-service/session/none/history", .get)] {
                    let response = try await client.execute(uri: uri, method: method)
                    #expect(response.headers[.xContentTypeOptions] == "nosniff", "\(uri)")
                    #expect(response.headers[.xFrameOptions] == "DENY", "\(uri)")
                    #expect(response.headers[.contentSecurityPolicy]?.contains("script-src 'self'") == true, "\(uri)")
                    #expect(response.headers[.referrerPolicy] == "no-referrer", "\(uri)")
                }
            }
        }

        @Test("session creation, ratings and uploads are rate-limited per client, with Retry-After, on the server's clock")
        func rateLimits() async throws {
            let clock = noonClock()
            try await withTestServer(
                extra: ["RATE_LIMIT_SESSIONS_PER_MINUTE": "3", "RATE_LIMIT_RATINGS_PER_MINUTE": "2", "RATE_LIMIT_UPLOADS_PER_MINUTE": "1"],
                clock: clock
            ) { client, _ in
                var statuses: [HTTPResponse.Status] = []
                var ids: [String] = []
                for _ in 0..<4 {
                    let created = try await requestJSON(client, "/api/customer-service/session", method: .post)
                    statuses.append(created.status)
                    if let id = created.json["session_id"]?.stringValue { ids.append(id) }
                }
                #expect(statuses == [.ok, .ok, .ok, .tooManyRequests])
                let limited = try await client.execute(uri: "/api/customer-service/session", method: .post)
                #expect(limited.headers[.retryAfter] == "20")
                // A socket opening a new session spends from the same budget.
                let opened = Opened()
                _ = try? await client.ws("/api/customer-service/ws") { _, _, _ in await opened.mark() }
                #expect(await opened.value == false)

                let rate = "/api/customer-service/session/\(ids[0])/rating"
                let ratings = try await [1, 2, 3].asyncMap { _ in try await requestJSON(client, rate, method: .post, body: #"{"rating": 5}"#).status }
                #expect(ratings == [.ok, .ok, .tooManyRequests])
                #expect(try await importCSV(client, fileName: "kb.csv", contents: tinyCSV).status == .ok)
                #expect(try await importCSV(client, fileName: "kb2.csv", contents: tinyCSV).status == .tooManyRequests)

                clock.advance(by: .seconds(60))
                #expect(try await requestJSON(client, "/api/customer-service/session", method: .post).status == .ok)
                #expect(try await requestJSON(client, rate, method: .post, body: #"{"rating": 4}"#).status == .ok)
            }
        }

        @Test("repeated wrong admin tokens lock the client out, even with the right one, until the lockout passes")
        func lockout() async throws {
            let clock = noonClock()
            try await withTestServer(
                extra: ["ADMIN_TOKEN": "right-token", "ADMIN_LOCKOUT_FAILURES": "3", "ADMIN_LOCKOUT_MINUTES": "15"], clock: clock
            ) { client, _ in
                for _ in 0..<3 {
                    let wrong = try await importCSV(client, fileName: "kb.csv", contents: tinyCSV, headers: [.authorization: "Bearer guess"])
                    #expect(wrong.status == .unauthorized)
                }
                let locked = try await importCSV(client, fileName: "kb.csv", contents: tinyCSV, headers: [.authorization: "Bearer right-token"])
                #expect(locked.status == .tooManyRequests)
                let handoff = try await requestJSON(client, "/api/customer-service/session/x/handoff", method: .post, body: #"{"state": "open"}"#)
                #expect(handoff.status == .tooManyRequests)
                // Still locked well into the period: the lockout is not a single refilled attempt.
                clock.advance(by: .seconds(10 * 60))
                let stillLocked = try await importCSV(client, fileName: "kb.csv", contents: tinyCSV, headers: [.authorization: "Bearer right-token"])
                #expect(stillLocked.status == .tooManyRequests)
                clock.advance(by: .seconds(5 * 60))
                let allowed = try await importCSV(client, fileName: "kb.csv", contents: tinyCSV, headers: [.authorization: "Bearer right-token"])
                #expect(allowed.status == .ok)
            }
        }

        @Test("a socket that sends faster than its budget gets rate_limited error frames and stays open")
        func socketMessages() async throws {
            try await withTestServer(extra: ["RATE_LIMIT_MESSAGES_PER_MINUTE": "2"]) { client, _ in
                let log = try await converse(client, [messageFrame("转人工"), messageFrame("转人工"), messageFrame("转人工")])
                let replies = await log.replies
                #expect(replies.count == 3)
                #expect(replies.prefix(2).allSatisfy { $0.last?["type"]?.stringValue == "response" })
                #expect(replies[2].last?["code"]?.stringValue == "rate_limited")
            }
        }

        @Test("listening beyond loopback without ADMIN_TOKEN is refused unless the operator accepts it")
        func openWrites() throws {
            func refusal(_ environment: [String: String]) throws -> String? {
                Serve.openWritesRefusal(try VividCrowdConfiguration(environment: environment))
            }
            #expect(try refusal(["HOST": "0.0.0.0"])?.contains("ADMIN_TOKEN") == true)
            #expect(try refusal(["HOST": "0.0.0.0", "ADMIN_TOKEN": "t"]) == nil)
            #expect(try refusal(["HOST": "0.0.0.0", "ALLOW_NO_ADMIN_TOKEN": "on"]) == nil)
            #expect(try refusal(["HOST": "127.0.0.1"]) == nil)
            #expect(try refusal(["HOST": "localhost"]) == nil)
        }
    }
}

/// Whether a socket handler ever ran.
private actor Opened {
    private(set) var value = false
    func mark() { value = true }
}

extension Array {
    fileprivate func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}

extension ServerSuites {
    @Suite("Methods and the spec", .serialized)
    struct MethodTests {
        @Test("a known path with another method answers 405 with Allow; a plain GET on a socket path 426; unknown paths 404")
        func methods() async throws {
            try await withTestServer { client, _ in
                let delete = try await client.execute(uri: "/api/customer-service/stats", method: .delete)
                #expect(delete.status == .methodNotAllowed)
                #expect(delete.headers[.allow] == "GET")
                let put = try await client.execute(uri: "/api/customer-service/session/abc/rating", method: .put)
                #expect(put.status == .methodNotAllowed && put.headers[.allow] == "POST")
                for socket in ["/api/customer-service/ws", "/api/chat/ws", "/api/digital-customer/training/ws/1"] {
                    let plain = try await client.execute(uri: socket, method: .get)
                    #expect(plain.status == .upgradeRequired, "\(socket)")
                    #expect(plain.headers[.upgrade] == "websocket")
                }
                #expect(try await client.execute(uri: "/nowhere", method: .put).status == .notFound)
            }
        }

        @Test("every path and method of the OpenAPI document is served (no 404 and no 405)")
        func specIsServed() async throws {
            try await withTestServer { client, _ in
                let paths = OpenAPIDocument.document["paths"]?.objectValue ?? [:]
                #expect(paths.count >= 17)
                for (path, operations) in paths {
                    for method in (operations.objectValue ?? [:]).keys {
                        let uri = path.replacingOccurrences(of: "{id}", with: "missing-session")
                            .replacingOccurrences(of: "{session_id}", with: "missing-session")
                        let response = try await client.execute(uri: uri, method: HTTPRequest.Method(method.uppercased())!)
                        #expect(![.notFound, .methodNotAllowed].contains(response.status) || uri.contains("missing-session"),
                                "\(method) \(path): \(response.status)")
                    }
                }
            }
        }
    }
}
