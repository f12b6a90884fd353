import Foundation
import HummingbirdTesting
import Testing
import VividCrowdCore
import VividCrowdTesting

@testable import vividcrowd_server

/// Runs `vividcrowd-server` (built beside the test bundle) as a separate process and returns its exit status and output.
func runServerCommand(_ arguments: [String], environment: [String: String]) async throws -> (status: Int32, output: String) {
    let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    let candidates = [beside, beside.deletingLastPathComponent(), repositoryRoot.appendingPathComponent(".build/debug")]
        .map { $0.appendingPathComponent("vividcrowd-server") }
    let binary = try #require(candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) })
    let process = Process()
    process.executableURL = binary
    process.arguments = arguments
    process.environment = environment.merging(["PATH": "/usr/bin:/bin"]) { old, _ in old }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    let finished = AsyncStream<Int32>.makeStream()
    process.terminationHandler = { finished.continuation.yield($0.terminationStatus) }
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    var statuses = finished.stream.makeAsyncIterator()
    return (await statuses.next() ?? -1, output)
}

extension ServerSuites {
    @Suite("One store, several processes", .serialized)
    struct SharedStoreTests {
        @Test("an import by another process is answered from on the server's next question, without a restart")
        func importFromAnotherProcess() async throws {
            try await withTestServer { client, services in
                _ = try await importCSV(client, fileName: "qa.csv", contents: qaCSV)
                let before = try await converse(client, [messageFrame(BandQuestions.high)])
                let original = try #require(await before.replies.first?.last?["content"]?.stringValue)

                // The same file with line 2's script changed: its phrasings are cached, so no LLM call is needed.
                let script = try KnowledgeBaseCSV.parse(qaCSV).entries[0].standardScript
                let marker = "【第二版】"
                let csv = String(decoding: qaCSV, as: UTF8.self)
                let prefix = String(script.prefix(12))
                let range = try #require(csv.range(of: prefix))
                let changed = csv.replacingCharacters(in: range, with: marker + prefix)
                let folder = try temporaryDirectory()
                let file = folder + "/qa.csv"
                try Data(changed.utf8).write(to: URL(fileURLWithPath: file))

                let environment = testEnvironment(database: services.settings.storage.databasePath)
                let run = try await runServerCommand(
                    ["import-kb", file, "--env-file", folder + "/none.env",
                     "--corpora", repositoryRoot.appendingPathComponent("corpora").path],
                    environment: environment)
                #expect(run.status == 0, "\(run.output)")
                #expect(run.output.contains("replaced 499 rows"), "\(run.output)")

                let after = try await converse(client, [messageFrame(BandQuestions.high)])
                let reply = try #require(await after.replies.first?.last)
                #expect(reply["match_type"]?.stringValue == "high_confidence")
                #expect(reply["content"]?.stringValue?.contains(marker) == true, "\(reply)")
                #expect(!original.contains(marker))
            }
        }

        @Test("an index whose dimension differs from the model's is an error frame naming both, and serving goes on")
        func dimensionMismatch() async throws {
            try await withTestServer { client, services in
                _ = try await importCSV(client, fileName: "qa.csv", contents: qaCSV)
                // As if the embedding model behind the name changed: every stored phrasing vector is now 3-d.
                let path = services.settings.storage.databasePath + "/vividcrowd.sqlite"
                let database = try SQLiteDatabase(path: path)
                try await database.write { connection in
                    try connection.query(
                        "UPDATE embedding_cache SET dimension = 3, vector = ?",
                        [.blob(VectorCodec.encode([1, 0, 0]))])
                    try connection.query("UPDATE corpus_versions SET version = version + 1")
                }
                let log = try await converse(client, [messageFrame(BandQuestions.mid), messageFrame("转人工")])
                let replies = await log.replies
                try #require(replies.count == 2)
                let error = try #require(replies[0].last)
                #expect(error["type"]?.stringValue == "error")
                #expect(error["code"]?.stringValue == "embedding_dimension_mismatch")
                let text = error["content"]?.stringValue ?? ""
                #expect(text.contains("384-dimension") && text.contains("3-dimension"), "\(text)")
                #expect(text.contains("multilingual-e5-small"))
                #expect(!text.contains(path) && !text.contains("/tmp"))
                // The same socket keeps answering, and so does the server.
                #expect(replies[1].last?["type"]?.stringValue == "response")
                #expect(replies[1].last?["transfer_to_human"] == .bool(true))
                #expect(try await requestJSON(client, "/health").json["status"]?.stringValue == "ok")
            }
        }

        @Test("a rating too large for an integer is refused, and the server lives on")
        func hugeRating() async throws {
            try await withTestServer { client, _ in
                let session = try await requestJSON(client, "/api/customer-service/session", method: .post)
                let id = try #require(session.json["session_id"]?.stringValue)
                for body in [
                    #"{"rating":1e300}"#, #"{"rating":-1e300}"#, #"{"rating":4.5}"#, #"{"rating":-0}"#,
                    #"{"rating":99999999999999999999}"#, #"{"rating":NaN}"#,
                ] {
                    let rated = try await requestJSON(client, "/api/customer-service/session/\(id)/rating", method: .post, body: body)
                    #expect(rated.status == .unprocessableContent, "\(body)")
                }
                // A body is the request when there is one; a query rating must be valid even beside a body.
                for (query, body) in [
                    ("?rating=1", #"[null, null]"#), ("?rating=1", #"{"comment": ""}"#), ("?rating=0", #"{"rating": 1}"#),
                    ("?rating=null", #"{"rating": 1}"#), ("", #"{"rating": 2, "comment": 5}"#),
                ] {
                    let rated = try await requestJSON(
                        client, "/api/customer-service/session/\(id)/rating\(query)", method: .post, body: body)
                    #expect(rated.status == .unprocessableContent, "\(query) \(body)")
                }
                let nullComment = try await requestJSON(
                    client, "/api/customer-service/session/\(id)/rating", method: .post, body: #"{"rating": 3, "comment": null}"#)
                #expect(nullComment.status == .ok && nullComment.json["user_rating"]?.intValue == 3)
                for query in ["1e300", "-0", "NaN", "99999999999999999999", "-1e300"] {
                    let rated = try await requestJSON(
                        client, "/api/customer-service/session/\(id)/rating?rating=\(query)", method: .post)
                    #expect(rated.status == .unprocessableContent, "\(query)")
                }
                #expect(try await requestJSON(client, "/health").status == .ok)
            }
        }
    }
}
