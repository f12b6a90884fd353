import Foundation
import Testing
import VividCrowdCore
import VividCrowdTesting

@testable import vividcrowd_server

@Suite("The offline demo's routes")
struct DemoEndToEndTests {
    private let manifest = DemoManifest(
        cassette: "customer-service", environment: [:],
        seed: .init(knowledgeBase: nil, twins: nil, customers: nil, salesMaterials: nil),
        questions: [.customerService: ["检测报告多久出来", "我要转人工"], .groupChat: ["@小林 最近喝什么茶好？"]])

    @Test("GET /api/demo says whether the server is the demo, with its banner and recorded questions per mode")
    func description() async throws {
        try await withTestServer(demo: manifest) { client, _ in
            let demo = try await requestJSON(client, "/api/demo").json
            #expect(demo["demo"]?.boolValue == true)
            #expect(demo["banner"]?.stringValue?.contains("DASHSCOPE_API_KEY") == true)
            #expect(demo["questions"]?["customer_service"]?.arrayValue?.count == 2)
            #expect(demo["questions"]?["twins"]?.arrayValue?.isEmpty == true)
        }
        try await withTestServer { client, _ in
            let plain = try await requestJSON(client, "/api/demo").json
            #expect(plain == ["demo": false])
        }
    }

    @Test("a message the recording does not hold gets recorded ones to try, with no path; outside the demo the plain miss")
    func notRecorded() async throws {
        let unrecorded = #"{"message": "这句话从来没有被录制过，火星上有几家分店？"}"#
        try await withTestServer(demo: manifest) { client, _ in
            #expect(try await importCSV(client, fileName: "qa.csv", contents: qaCSV).status == .ok)
            let reply = try await converse(client, [unrecorded]).replies[0].last
            #expect(reply?["type"] == "error")
            #expect(reply?["code"] == "not_recorded")
            let content = reply?["content"]?.stringValue ?? ""
            #expect(content.contains("“检测报告多久出来”") && content.contains("recorded demo"))
            #expect(!content.contains("/") && !content.contains("cassette"))
        }
        try await withTestServer { client, _ in
            #expect(try await importCSV(client, fileName: "qa.csv", contents: qaCSV).status == .ok)
            let reply = try await converse(client, [unrecorded]).replies[0].last
            #expect(reply?["code"] == "not_recorded")
            #expect(reply?["content"]?.stringValue?.contains("Try one of these") == false)
        }
    }
}
