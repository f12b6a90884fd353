import ArgumentParser
import Foundation
import HummingbirdWSClient
import Logging
import VividCrowdCore

/// Many concurrent customer-service users over real WebSockets against a running server.
struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "N concurrent customer-service users over WebSocket against a running server: round trips, errors, peak RSS.",
        discussion: """
            Users ask qa.csv's typical questions (real data) over their own connections, all at once: the questions a
            first, untimed pass finds answered at high confidence (no LLM call), with no think time between messages.
            scripts/cs-load.sh starts a release server replaying the customer-service cassette with qa.csv imported and
            runs this with 1,000 users; reports/sim-load.{md,json} (sim-load-closed-loop.* with --think-min 0 --think-max 0).
            """)

    @Option(help: "The server's base URL.")
    var server = "http://127.0.0.1:8000"

    @Option(help: "Concurrent users, each on its own connection.")
    var users = 1000

    @Option(help: "Messages per user, sent one after another.")
    var messages = 5

    @Option(help: "The server's process id, to read its peak resident memory from /proc.")
    var serverPid: Int?

    @Option(help: "The knowledge base the questions come from (it must be imported on the server).")
    var knowledgeBase = "corpora/seed/qa.csv"

    @Option(help: "Seed for choosing the questions and think times.")
    var seed: UInt64 = 7

    @Option(help: "Think time between a user's messages, in ms: uniform in [think-min, think-max]; 0 0 is a closed loop.")
    var thinkMin = 1000

    @Option(help: "Upper end of the think time, in ms (users also start spread over it).")
    var thinkMax = 3000

    @Option(help: "Directory for the reports.")
    var reports = "reports"

    actor Results {
        var roundTrips: [Double] = []
        var errors: [String] = []
        var bands: [String: Int] = [:]
        func add(_ milliseconds: Double, band: String) {
            roundTrips.append(milliseconds)
            bands[band, default: 0] += 1
        }
        func fail(_ reason: String) { errors.append(reason) }
    }

    func run() async throws {
        // One descriptor per user's socket, and a few for the rest: raised towards the hard limit where it can be.
        let needed = users + 64
        if let limit = OpenFileLimit.raise(toAtLeast: needed) {
            guard limit.soft >= needed else {
                throw CommandFailure("""
                    \(users) users need \(needed) open files, and this process may open only \(limit.soft) (hard limit \
                    \(limit.hard)): raise it with `ulimit -n \(needed)` (as root, or in /etc/security/limits.conf), or run fewer users
                    """)
            }
            print("open-file limit: \(limit.soft) (hard \(limit.hard)), enough for \(users) users")
        }
        let entries = try KnowledgeBaseCSV.parse(Data(contentsOf: URL(fileURLWithPath: knowledgeBase))).entries
        let url = WireUsers.socketURL(server, path: "/api/customer-service/ws")
        // Untimed first pass: keep the questions the server answers at high confidence, so the load measures the
        // code path (no LLM) and a replaying server needs no recording per question.
        let candidates = Array(Set(entries.map(\.typicalQuestion))).sorted()
        let highQuestions = try await Self.highConfidence(candidates, url: url)
        guard !highQuestions.isEmpty else { throw CommandFailure("no question of \(knowledgeBase) is answered at high confidence") }
        var random = SeededGenerator(seed: seed)
        let (low, high) = (max(0, thinkMin), max(thinkMin, thinkMax))
        let plans = (0..<users).map { _ in
            (0..<messages).map { _ in (highQuestions.randomElement(using: &random)!, Int.random(in: low...high, using: &random)) }
        }
        let results = Results()
        let started = ContinuousClock.now
        await withTaskGroup(of: Void.self) { group in
            for plan in plans {
                group.addTask {
                    do {
                        try await WebSocketClient.connect(url: url, logger: Logger(label: "load")) { inbound, outbound, _ in
                            var frames = inbound.messages(maxSize: 1 << 20).makeAsyncIterator()
                            _ = try await frames.next()
                            for (question, think) in plan {
                                // The pause before each message: a person reading the last reply (and a staggered start).
                                if think > 0 { try await Task.sleep(for: .milliseconds(think)) }
                                let sent = ContinuousClock.now
                                try await outbound.write(.text(JSONValue.object(["message": .string(question)]).canonicalString))
                                while case .text(let text)? = try await frames.next() {
                                    let frame = try JSONValue.parse(text)
                                    if frame["type"]?.stringValue == "response" {
                                        await results.add((ContinuousClock.now - sent).seconds * 1000, band: frame["match_type"]?.stringValue ?? "?")
                                        break
                                    }
                                    if frame["type"]?.stringValue == "error" {
                                        await results.fail(frame["content"]?.stringValue ?? text)
                                        break
                                    }
                                }
                            }
                            try await outbound.close(.normalClosure, reason: nil)
                        }
                    } catch {
                        await results.fail("\(error)")
                    }
                }
            }
        }
        let wall = (ContinuousClock.now - started).seconds
        let trips = await results.roundTrips.sorted()
        let errors = await results.errors
        func percentile(_ p: Double) -> Double { trips.isEmpty ? 0 : trips[min(trips.count - 1, Int(Double(trips.count) * p))] }
        let peakRSS = serverPid.flatMap(Self.peakResidentMegabytes)
        let report: JSONValue = [
            "users": .number(Double(users)), "messages_per_user": .number(Double(messages)),
            "think_ms": [.number(Double(low)), .number(Double(high))],
            "round_trips": .number(Double(trips.count)), "errors": .number(Double(errors.count)),
            "p50_ms": .number(percentile(0.5)), "p99_ms": .number(percentile(0.99)), "max_ms": .number(trips.last ?? 0),
            "wall_seconds": .number(wall), "messages_per_second": .number(Double(trips.count) / max(wall, 1e-9)),
            "server_peak_rss_mb": peakRSS.map(JSONValue.number) ?? .null,
            "bands": .object(await results.bands.mapValues { .number(Double($0)) }),
            // The untimed first pass is one more session: what a check of the server's stats must add.
            "probe": ["sessions": 1, "messages": .number(Double(candidates.count)), "high_confidence": .number(Double(highQuestions.count))],
        ]
        let markdown = """
            # Customer-service load: \(users) concurrent users over WebSocket

            Each user opens its own connection to \(url) and sends \(messages) qa.csv typical questions one after another,
            \(high == 0 ? "with no think time (a closed loop: all users at once)" : "pausing \(low)–\(high) ms (seeded) before each message, as a person reading the reply would"). Questions: the \(highQuestions.count) typical questions a first
            untimed pass found answered at high confidence. Round trip = send → final `response` frame.

            | users | round trips | errors | p50 ms | p99 ms | max ms | msgs/s | server peak RSS MB |
            |---|---|---|---|---|---|---|---|
            | \(users) | \(trips.count) | \(errors.count) | \(String(format: "%.2f", percentile(0.5))) | \(String(format: "%.2f", percentile(0.99))) | \(String(format: "%.1f", trips.last ?? 0)) | \(String(format: "%.0f", Double(trips.count) / max(wall, 1e-9))) | \(peakRSS.map { String(format: "%.1f", $0) } ?? "—") |

            Reproduce: `scripts/cs-load.sh --users \(users) --messages \(messages) --think-min \(low) --think-max \(high)` (release server, LLM_MODE=replay, qa.csv imported).

            """
        try FileManager.default.createDirectory(atPath: reports, withIntermediateDirectories: true)
        let name = high == 0 ? "sim-load-closed-loop" : "sim-load"
        try markdown.write(toFile: reports + "/\(name).md", atomically: true, encoding: .utf8)
        try Data((report.canonicalString + "\n").utf8).write(to: URL(fileURLWithPath: reports + "/\(name).json"))
        print(markdown)
        if let first = errors.first { print("first error: \(first)") }
        if !errors.isEmpty { throw ExitCode.failure }
    }

    /// The questions answered with `high_confidence`, asked once each over one connection.
    static func highConfidence(_ questions: [String], url: String) async throws -> [String] {
        actor Kept { var questions: [String] = []; func add(_ q: String) { questions.append(q) } }
        let kept = Kept()
        try await WebSocketClient.connect(url: url, logger: Logger(label: "load-probe")) { inbound, outbound, _ in
            var frames = inbound.messages(maxSize: 1 << 20).makeAsyncIterator()
            _ = try await frames.next()
            for question in questions {
                try await outbound.write(.text(JSONValue.object(["message": .string(question)]).canonicalString))
                while case .text(let text)? = try await frames.next() {
                    let frame = try JSONValue.parse(text)
                    guard ["response", "error"].contains(frame["type"]?.stringValue ?? "") else { continue }
                    if frame["match_type"]?.stringValue == "high_confidence" { await kept.add(question) }
                    break
                }
            }
            try await outbound.close(.normalClosure, reason: nil)
        }
        return await kept.questions
    }

    /// VmHWM of a process, in MB.
    static func peakResidentMegabytes(_ pid: Int) -> Double? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "")
        else { return nil }
        return kilobytes / 1024
    }
}
