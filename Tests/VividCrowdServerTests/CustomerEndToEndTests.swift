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
    }
}
