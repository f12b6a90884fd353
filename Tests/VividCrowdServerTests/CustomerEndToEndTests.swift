import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing
import VividCrowdCore
import VividCrowdTesting

@testable import vividcrowd_server

/// The customers' server settings: their own cassette, llama.cpp's schema key as recorded, a 1 MB upload limit.
let customerEnvironment = ["CASSETTE_NAME": "customers", "LLM_LOCAL_SCHEMA": "on", "TWIN_MAX_UPLOAD_MB": "1", "TWIN_PROMPT_TOKENS": "1500"]

/// A shipped customer profile's bytes.
func customerDocument(_ name: String) throws -> Data {
    try Data(contentsOf: repositoryRoot.appendingPathComponent("corpora/sales/customers/\(name)"))
}

extension ServerSuites {
    @Suite("Sales training customers over HTTP", .serialized)
    struct CustomerEndToEndTests {
        @Test("a profile document becomes a customer once; bad documents, fields and sizes are refused and store nothing")
        func customers() async throws {
            try await withTestServer(extra: customerEnvironment) { client, _ in
                let document = try customerDocument("王建国-制造业-生产总监.md")
                let created = try await uploadForm(
                    client, "/api/digital-customer/upload", fields: [("difficulty", "hard")], fileName: "王建国.md", contents: document)
                try #require(created.status == .ok, "\(created.json)")
                let id = try #require(created.json["id"]?.intValue)
                // SmolLM2 proves the plumbing: the profile's words are its own, the shape and the chosen difficulty are ours.
                #expect(created.json["created"]?.boolValue == true && created.json["difficulty"]?.stringValue == "hard")
                let name = created.json["name"]?.stringValue ?? ""
                #expect(!name.isEmpty && created.json["profile"]?["name"]?.stringValue == name)
                let objections = (created.json["profile"]?["typical_objections"]?.arrayValue ?? [])
                    + (created.json["profile"]?["hidden_objections"]?.arrayValue ?? [])
                #expect(!objections.isEmpty)

                let again = try await uploadForm(client, "/api/digital-customer/upload", fields: [], fileName: "copy.md", contents: document)
                #expect(again.status == .ok && again.json["id"]?.intValue == id && again.json["created"]?.boolValue == false)

                let refusals: [(String, Data, [(String, String)], HTTPResponse.Status)] = [
                    ("empty.md", Data(), [], .unprocessableContent),
                    ("broken.pdf", Data("%PDF-1.7 nothing else".utf8), [], .unprocessableContent),
                    ("big.md", Data(repeating: 0x61, count: 1_200_000), [], .contentTooLarge),
                    ("odd.md", document, [("difficulty", "impossible")], .unprocessableContent),
                ]
                for (file, contents, fields, status) in refusals {
                    let refused = try await uploadForm(client, "/api/digital-customer/upload", fields: fields, fileName: file, contents: contents)
                    #expect(refused.status == status, "\(file): \(refused.json)")
                    let detail = refused.json["detail"]?.stringValue ?? ""
                    #expect(detail.contains("nothing was stored") || detail.contains("difficulty must be"), "\(file): \(detail)")
                }

                let list = try await requestJSON(client, "/api/digital-customer")
                #expect(list.status == .ok && list.json.arrayValue?.compactMap { $0["id"]?.intValue } == [id])
                let one = try await requestJSON(client, "/api/digital-customer/\(id)")
                #expect(one.status == .ok && one.json["file_name"]?.stringValue == "王建国.md")
                #expect(try await requestJSON(client, "/api/digital-customer/999").status == .notFound)
                #expect(try await requestJSON(client, "/api/digital-customer/abc").status == .notFound)
                let deleted = try await client.execute(uri: "/api/digital-customer/\(id)", method: .delete)
                #expect(deleted.status == .ok)
                #expect(try await requestJSON(client, "/api/digital-customer/\(id)").status == .notFound)
            }
        }

        @Test("a salesperson talks with a customer over the socket; its replies stream in character and the session is kept")
        func conversation() async throws {
            try await withTestServer(extra: customerEnvironment) { client, services in
                let none = try await socketRounds(client, "/api/digital-customer/ws", [messageFrame("您好")])
                #expect(none.first?.last?["type"]?.stringValue == "error")
                #expect(none.first?.last?["code"]?.stringValue == "no_customers")

                let created = try await uploadForm(
                    client, "/api/digital-customer/upload", fields: [("difficulty", "hard")], fileName: "王建国.md",
                    contents: try customerDocument("王建国-制造业-生产总监.md"))
                let id = try #require(created.json["id"]?.intValue)
                let name = try #require(created.json["name"]?.stringValue)
                let rounds = try await socketRounds(client, "/api/digital-customer/ws", [
                    messageFrame("王总您好，我是云图科技的小王，想占用您五分钟了解一下设备停机的情况。"),
                    JSONValue.object(["message": .string("你们现在主要靠什么来安排设备维护？"), "customer_id": .number(Double(id))]).canonicalString,
                    JSONValue.object(["message": .string("hi"), "customer_id": .number(999)]).canonicalString,
                    #"{"message": 7}"#,
                ])
                try #require(rounds.count == 4)
                var sessionID = ""
                for round in rounds.prefix(2) {
                    let types = round.compactMap { $0["type"]?.stringValue }
                    #expect(types.first == "stream_start" && types.suffix(2) == ["stream_end", "round_end"], "\(types)")
                    #expect(round.first?["sender"]?.stringValue == name)
                    let text = round.filter { $0["type"]?.stringValue == "stream_chunk" }.compactMap { $0["content"]?.stringValue }.joined()
                    #expect(!text.isEmpty)
                    #expect(round.last?["customer_id"]?.intValue == id)
                    sessionID = round.last?["session_id"]?.stringValue ?? ""
                }
                #expect(rounds[2].last?["code"]?.stringValue == "customer_not_found")
                #expect(rounds[3].last?["type"]?.stringValue == "error")
                let lines = try await services.store.conversations.lines(sessionID: sessionID, limit: 10)
                #expect(lines.map(\.sender) == ["user", "customer", "user", "customer"])
            }
        }
    }
}
