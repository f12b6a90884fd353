import ArgumentParser
import Foundation
import Histogram
import VividCrowdCore
import VividCrowdEvaluation

/// Time to first token and total time of streamed replies: live against the configured server, then replayed
/// from the cassette just recorded, at a chosen speed factor.
struct LLMLatency: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "llm-latency",
        abstract: "Streamed-chat time to first token, live vs replayed from a cassette (needs a reachable server).",
        discussion: """
            With the local servers: eval "$(scripts/local-models.sh env)"; vividcrowd-bench llm-latency
            Writes reports/llm-latency.md and reports/llm-latency.json.
            """)

    @Option(help: "Number of distinct prompts to stream.")
    var requests = 5

    @Option(help: "Replay speed factor (1 = as recorded, 0 = instant).")
    var speed = 1.0

    @Option(help: "Maximum tokens per reply.")
    var maxTokens = 32

    @Option(help: "Directory for the Markdown and JSON reports.")
    var reports = "reports"

    func run() async throws {
        var settings = try VividCrowdConfiguration.load()
        LoggingSetup.bootstrap(settings)
        let cassetteDirectory = FileManager.default.temporaryDirectory
            .appendingPathComponent("vividcrowd-latency-\(ProcessInfo.processInfo.processIdentifier)").path
        settings.llm.cassetteDirectory = cassetteDirectory
        settings.llm.mode = .record
        let prompts = (0..<requests).map { "Question \($0 + 1): in one short sentence, why is the sky blue?" }

        let recorder = try LLMClient.make(configuration: settings, cassetteName: "latency")
        var live: [StreamTiming] = []
        for prompt in prompts { live.append(try await recorder.timedStream(request(prompt, settings))) }
        try await recorder.shutdown()

        settings.llm.mode = .replay
        settings.llm.replaySpeed = speed
        let player = try LLMClient.make(configuration: settings, cassetteName: "latency")
        var replayed: [StreamTiming] = []
        for prompt in prompts { replayed.append(try await player.timedStream(request(prompt, settings))) }
        try await player.shutdown()
        try? FileManager.default.removeItem(atPath: cassetteDirectory)

        let identical = zip(live, replayed).allSatisfy { $0.text == $1.text }
        let report = LatencyReport(
            server: settings.llm.baseURL.absoluteString, model: settings.llm.model, requests: requests,
            replaySpeed: speed, identicalText: identical,
            live: .init(live), replayed: .init(replayed))
        try report.write(to: reports)
        print(report.markdown)
        if !identical { throw CommandFailure("replayed text differs from the live text") }
    }

    private func request(_ prompt: String, _ settings: VividCrowdConfiguration) -> ChatRequest {
        ChatRequest(model: settings.llm.model, messages: [.user(prompt)], temperature: 0, seed: 7, maxTokens: maxTokens)
    }
}

/// Percentiles of one set of stream timings.
struct TimingSummary: Codable {
    var ttftP50Ms: Double
    var ttftMaxMs: Double
    var totalP50Ms: Double

    init(_ timings: [StreamTiming]) {
        func p50(_ values: [Double]) -> Double {
            var histogram = Histogram<UInt64>(highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)
            for value in values { histogram.record(UInt64(max(0, value * 1000))) }
            return Double(histogram.valueAtPercentile(50)) / 1000
        }
        ttftP50Ms = p50(timings.map(\.timeToFirstTokenMs))
        ttftMaxMs = timings.map(\.timeToFirstTokenMs).max() ?? 0
        totalP50Ms = p50(timings.map(\.totalMs))
    }

    enum CodingKeys: String, CodingKey {
        case ttftP50Ms = "ttft_p50_ms"
        case ttftMaxMs = "ttft_max_ms"
        case totalP50Ms = "total_p50_ms"
    }
}

/// The live-vs-replay comparison as Markdown and JSON.
struct LatencyReport: Codable {
    var server: String
    var model: String
    var requests: Int
    var replaySpeed: Double
    var identicalText: Bool
    var live: TimingSummary
    var replayed: TimingSummary

    enum CodingKeys: String, CodingKey {
        case server, model, requests, live, replayed
        case replaySpeed = "replay_speed"
        case identicalText = "identical_text"
    }

    var markdown: String {
        func row(_ name: String, _ summary: TimingSummary) -> String {
            String(format: "| %@ | %.1f | %.1f | %.1f |", name, summary.ttftP50Ms, summary.ttftMaxMs, summary.totalP50Ms)
        }
        return """
            # LLM streaming latency: live vs cassette replay

            Server `\(server)`, model `\(model)`, \(requests) streamed requests, replay speed \(replaySpeed).
            Replayed text identical to live: \(identicalText ? "yes" : "NO").

            | run | TTFT p50 (ms) | TTFT max (ms) | total p50 (ms) |
            |---|---|---|---|
            \(row("live", live))
            \(row("replay", replayed))

            Reproduce: `eval "$(scripts/local-models.sh env)"; swift run vividcrowd-bench llm-latency --speed \(replaySpeed)`
            """
    }

    func write(to directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try (markdown + "\n").write(toFile: directory + "/llm-latency.md", atomically: true, encoding: .utf8)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(self).write(to: URL(fileURLWithPath: directory + "/llm-latency.json"))
    }
}
