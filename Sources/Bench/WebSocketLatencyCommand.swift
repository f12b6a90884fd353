import ArgumentParser
import Foundation
import HummingbirdWSClient
import Logging
import VividCrowdCore

/// Round trips of one customer-service message over a real WebSocket to a running server.
struct WebSocketLatencyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ws-latency",
        abstract: "Round-trip latency of customer-service replies over the WebSocket of a running vividcrowd-server.",
        discussion: """
            Sends the same message over one connection, one at a time, and times send → final response frame.
            scripts/cs-latency.sh starts a replaying server with qa.csv imported and runs this against it.
            """)

    @Option(help: "The customer-service WebSocket URL.")
    var url = "ws://127.0.0.1:8000/api/customer-service/ws"

    @Option(help: "The message to send (default: a qa.csv typical question, a high-confidence match).")
    var message = "老师，张善庭一天可以吃几个水果西红柿呀？他挺喜欢吃的。"

    @Option(help: "Timed round trips.")
    var count = 1000

    @Option(help: "Untimed round trips first.")
    var warmup = 50

    @Option(help: "The match_type every reply must have.")
    var expect = "high_confidence"

    @Option(help: "Directory for the reports.")
    var reports = "reports"

    struct Report: Codable {
        var url: String
        var message: String
        var matchType: String
        var roundTrips: Int
        var latencyMs: LatencySummary
        var maxMs: Double

        enum CodingKeys: String, CodingKey {
            case url, message
            case matchType = "match_type"
            case roundTrips = "round_trips"
            case latencyMs = "latency_ms"
            case maxMs = "max_ms"
        }
    }

    actor Timings {
        var values: [Double] = []
        var failure: String?
        func add(_ value: Double) { values.append(value) }
        func fail(_ reason: String) { failure = reason }
    }

    func run() async throws {
        let timings = Timings()
        let frame = JSONValue.object(["message": .string(message)]).canonicalString
        let (count, warmup, expect) = (self.count, self.warmup, self.expect)
        try await WebSocketClient.connect(url: url, logger: Logger(label: "ws-latency")) { inbound, outbound, _ in
            var frames = inbound.messages(maxSize: 1 << 20).makeAsyncIterator()
            _ = try await frames.next()  // session_created
            for round in 0..<(warmup + count) {
                let started = ContinuousClock.now
                try await outbound.write(.text(frame))
                var reply: JSONValue?
                while case .text(let text)? = try await frames.next() {
                    let parsed = try JSONValue.parse(text)
                    if parsed["type"]?.stringValue == "response" || parsed["type"]?.stringValue == "error" {
                        reply = parsed
                        break
                    }
                }
                let elapsed = ContinuousClock.now - started
                guard reply?["match_type"]?.stringValue == expect else {
                    await timings.fail("round \(round): expected \(expect), got \(reply?.canonicalString ?? "no reply")")
                    break
                }
                if round >= warmup { await timings.add(elapsed.seconds * 1000) }
            }
            try await outbound.close(.normalClosure, reason: nil)
        }
        if let failure = await timings.failure { throw CommandFailure(failure) }
        let values = await timings.values
        let report = Report(
            url: url, message: message, matchType: expect, roundTrips: values.count,
            latencyMs: LatencySummary(milliseconds: values), maxMs: values.max() ?? 0)
        let markdown = """
            # Customer-service WebSocket round trip

            \(report.roundTrips) sequential round trips (after \(warmup) untimed) of one \(expect) message over one
            connection to \(url): client send → final `response` frame.

            | p50 ms | p95 ms | p99 ms | mean ms | max ms |
            |---|---|---|---|---|
            | \(String(format: "%.3f", report.latencyMs.p50)) | \(String(format: "%.3f", report.latencyMs.p95)) | \(String(format: "%.3f", report.latencyMs.p99)) | \(String(format: "%.3f", report.latencyMs.mean)) | \(String(format: "%.3f", report.maxMs)) |

            Reproduce: `scripts/cs-latency.sh` (release build, LLM_MODE=replay, qa.csv imported).

            """
        try writeText(markdown, to: reports + "/customer-service-ws-latency.md")
        try writeJSON(report, to: reports + "/customer-service-ws-latency.json")
        print(markdown)
    }
}
