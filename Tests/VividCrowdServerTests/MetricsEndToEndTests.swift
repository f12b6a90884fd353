import Foundation
import HummingbirdTesting
import Testing
import VividCrowdCore
import VividCrowdTesting

@testable import vividcrowd_server

/// The samples of one Prometheus exposition: `name{labels}` → value.
private func samples(_ text: String) -> [String: Double] {
    var result: [String: Double] = [:]
    for line in text.split(separator: "\n") where !line.hasPrefix("#") {
        guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
        result[String(line[..<space])] = value
    }
    return result
}

/// The value of the sample of `name` whose labels include all of `labels` (summed when several match).
private func value(_ samples: [String: Double], _ name: String, _ labels: [String: String] = [:]) -> Double? {
    let matching = samples.filter { key, _ in
        (key == name || key.hasPrefix(name + "{")) && labels.allSatisfy { key.contains("\($0.key)=\"\($0.value)\"") }
    }
    return matching.isEmpty ? nil : matching.values.reduce(0, +)
}

/// The samples once `settled` holds for them: a socket's message is counted just after its last frame is written, and
/// its close just after the peer closed, so a scrape can come a moment early. Each retry is a real round trip.
private func scrape(
    _ client: any TestClientProtocol, until settled: ([String: Double]) -> Bool = { _ in true }
) async throws -> [String: Double] {
    var scraped: [String: Double] = [:]
    for _ in 0..<100 {
        let response = try await client.execute(uri: "/metrics", method: .get)
        #expect(response.status == .ok)
        #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
        scraped = samples(String(buffer: response.body))
        if settled(scraped) { break }
    }
    return scraped
}

@Suite("/metrics")
struct MetricsEndToEndTests {
    @Test("a customer-service session shows up: HTTP by route, sockets, LLM calls by mode, cassette, bands, handoffs, imports")
    func customerService() async throws {
        try await withTestServer { client, _ in
            #expect(try await importCSV(client, fileName: "qa.csv", contents: qaCSV).status == .ok)
            _ = try await converse(client, [BandQuestions.high, "我要转人工"].map(messageFrame))
            _ = try await client.execute(uri: "/api/celebrity/999999", method: .get)
            let route = ["route": "/api/customer-service/ws"]
            let metrics = try await scrape(client) {
                value($0, "vividcrowd_websocket_messages_total", route) == 2 && value($0, "vividcrowd_websocket_open", route) == 0
            }

            #expect(value(metrics, "vividcrowd_http_requests_total",
                          ["route": "/api/customer-service/qa/import", "method": "POST", "status": "200"]) == 1)
            #expect(value(metrics, "vividcrowd_http_requests_total", ["route": "/api/celebrity/{id}", "status": "404"]) == 1)
            #expect(value(metrics, "vividcrowd_http_request_duration_seconds_count", ["route": "/api/customer-service/qa/import"]) == 1)
            #expect(value(metrics, "vividcrowd_websocket_connections_total", ["route": "/api/customer-service/ws"]) == 1)
            #expect(value(metrics, "vividcrowd_websocket_messages_total", ["route": "/api/customer-service/ws", "outcome": "ok"]) == 2)
            #expect(value(metrics, "vividcrowd_websocket_open", ["route": "/api/customer-service/ws"]) == 0)
            #expect((value(metrics, "vividcrowd_open_connections") ?? 0) >= 1)
            let embeddings = value(metrics, "vividcrowd_llm_requests_total",
                                   ["endpoint": "embeddings", "mode": "customer_service", "model": "multilingual-e5-small", "outcome": "ok"])
            #expect((embeddings ?? 0) >= 2)
            #expect(value(metrics, "vividcrowd_llm_request_duration_seconds_count", ["mode": "customer_service"]) == embeddings)
            #expect((value(metrics, "vividcrowd_llm_tokens_total", ["mode": "customer_service", "kind": "prompt"]) ?? 0) > 0)
            #expect((value(metrics, "vividcrowd_cassette_lookups_total", ["result": "hit"]) ?? 0) >= embeddings ?? 0)
            #expect(value(metrics, "vividcrowd_customer_service_replies_total", ["band": "high_confidence"]) == 1)
            #expect(value(metrics, "vividcrowd_customer_service_handoffs_total", ["reason": "explicit_request"]) == 1)
            #expect(value(metrics, "vividcrowd_imports_total", ["kind": "knowledge_base", "outcome": "ok"]) == 1)
            #expect(value(metrics, "vividcrowd_import_duration_seconds_count", ["kind": "knowledge_base"]) == 1)
        }
    }

    @Test("group-chat rounds are counted by routing path; a replay miss is counted as an LLM error and a cassette miss")
    func groupChat() async throws {
        try await withTestServer(extra: groupChatEnvironment) { client, _ in
            _ = try await socketRounds(client, "/api/chat/ws", ["@小林 最近喝什么茶好？", "@小林 这句话从来没有录过，火星上冷吗？"])
            let metrics = try await scrape(client) {
                value($0, "vividcrowd_websocket_messages_total", ["route": "/api/chat/ws"]) == 2
            }
            #expect(value(metrics, "vividcrowd_group_chat_rounds_total", ["path": "mention"]) == 2)
            #expect(value(metrics, "vividcrowd_llm_requests_total", ["mode": "group_chat", "outcome": "ok"]).map { $0 >= 1 } == true)
            #expect(value(metrics, "vividcrowd_llm_requests_total", ["mode": "group_chat", "outcome": "not_recorded"]).map { $0 >= 1 } == true)
            #expect((value(metrics, "vividcrowd_cassette_lookups_total", ["result": "miss"]) ?? 0) >= 1)
            #expect(value(metrics, "vividcrowd_websocket_messages_total", ["route": "/api/chat/ws", "outcome": "not_recorded"]) == 1)
        }
    }
}
