import ArgumentParser
import Foundation
import VividCrowdCore

/// Options every scenario command shares.
struct ScenarioOptions: ParsableArguments {
    @Option(help: "Scenario files (default: every corpora/scenarios/*.json but baseline.json).")
    var scenario: [String] = []

    @Option(help: "replay (offline, default), record, auto or live.")
    var llmMode: LLMMode = .replay

    @Option(help: "Directory holding suites/, personas/ and scenarios/.")
    var corpora = "corpora"

    @Option(help: "Directory for the reports.")
    var reports = "reports"

    @Option(help: "Chat model the cassettes were recorded with.")
    var model = "smollm2"

    @Option(help: "Embedding model the cassettes were recorded with.")
    var embeddingModel = "multilingual-e5-small"

    @Flag(inversion: .prefixedNo, help: "Send llama.cpp's schema key with JSON requests, as the committed cassettes do.")
    var localSchema = true

    var scenarioFiles: [URL] {
        get throws {
            if !scenario.isEmpty { return scenario.map { URL(fileURLWithPath: $0) } }
            let folder = URL(fileURLWithPath: corpora).appendingPathComponent("scenarios")
            return try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") && $0 != "baseline.json" }
                .sorted().map { folder.appendingPathComponent($0) }
        }
    }

    /// Runs every chosen scenario in process and writes reports/sim-NAME.{md,json}.
    func runAll() async throws -> [SimulationReport] {
        var settings = try VividCrowdConfiguration.load()
        settings.llm.mode = llmMode
        settings.llm.model = model
        settings.llm.routerModel = model
        settings.llm.evaluationModel = model
        settings.llm.embeddingModel = embeddingModel
        settings.llm.localSchema = localSchema
        if settings.logLevel == .info { settings.logLevel = .warning }
        LoggingSetup.bootstrap(settings)
        BLASThreads.set(1)
        let corpora = URL(fileURLWithPath: self.corpora)
        var reports: [SimulationReport] = []
        for file in try scenarioFiles {
            let scenario = try Scenario.load(file)
            FileHandle.standardError.write(Data("scenario \(scenario.name)…\n".utf8))
            let report: SimulationReport
            switch scenario.mode {
            case .customerService:
                report = try await CustomerServiceSimulation(scenario: scenario, corpora: corpora, settings: settings).run()
            case .groupChat:
                report = try await GroupChatSimulation(scenario: scenario, corpora: corpora, settings: settings).run()
            }
            try write(report)
            reports.append(report)
        }
        return reports
    }

    func write(_ report: SimulationReport) throws {
        let folder = URL(fileURLWithPath: reports)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(report).write(to: folder.appendingPathComponent("sim-\(report.scenario).json"))
        var lines = ["# Simulation \(report.scenario) (\(report.mode.rawValue))", "", "| metric | value |", "|---|---|"]
        for (name, value) in report.metrics.sorted(by: { $0.key < $1.key }) { lines.append("| \(name) | \(String(format: "%.4g", value)) |") }
        for (name, value) in report.measurements.sorted(by: { $0.key < $1.key }) {
            lines.append("| \(name) (timing, not gated) | \(String(format: "%.4g", value)) |")
        }
        lines += ["", "LLM: \(report.llm.chatCalls + report.llm.streamedChatCalls) chat calls, \(report.llm.embeddingCalls) embedding calls, "
                  + "\(report.llm.promptTokens)+\(report.llm.completionTokens) tokens, cassette \(report.llm.cassetteHits) hits / \(report.llm.cassetteMisses) misses.",
                  "", "Reproduce: `swift run vividcrowd-sim run --scenario corpora/scenarios/\(report.scenario).json`", ""]
        try lines.joined(separator: "\n").write(to: folder.appendingPathComponent("sim-\(report.scenario).md"), atomically: true, encoding: .utf8)
    }
}

/// Runs scenarios and writes their reports.
struct RunScenarios: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run simulation scenarios in process (offline from cassettes by default); reports to reports/sim-*.",
        discussion: """
            Re-record a scenario's cassette against the local servers:
              eval "$(scripts/local-models.sh env)"; vividcrowd-sim run --llm-mode auto --scenario corpora/scenarios/gc-domains.json
            """)

    @OptionGroup var options: ScenarioOptions

    @Option(help: "Drive a running server over WebSocket instead (customer-service scenarios; N = the scenario's concurrency).")
    var server: String?

    func run() async throws {
        if let server {
            let settings = try VividCrowdConfiguration.load()
            for file in try options.scenarioFiles {
                let scenario = try Scenario.load(file)
                guard scenario.mode == .customerService else {
                    throw ValidationError("\(scenario.name): --server drives customer-service scenarios")
                }
                let report = try await ServerDriver(
                    simulation: CustomerServiceSimulation(scenario: scenario, corpora: URL(fileURLWithPath: options.corpora), settings: settings),
                    server: server
                ).run()
                try options.write(report)
                print("\(report.scenario): " + report.metrics.sorted { $0.key < $1.key }.map { "\($0.key)=\(String(format: "%.4g", $0.value))" }.joined(separator: " "))
            }
            return
        }
        for report in try await options.runAll() {
            print("\(report.scenario): " + report.metrics.sorted { $0.key < $1.key }.map { "\($0.key)=\(String(format: "%.4g", $0.value))" }.joined(separator: " "))
        }
    }
}

/// The regression gate.
struct CheckScenarios: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Run the scenarios and fail when a deterministic metric moves beyond its tolerance in the baseline.",
        discussion: "After an intended change: vividcrowd-sim check --write (then commit corpora/scenarios/baseline.json).")

    @OptionGroup var options: ScenarioOptions

    @Option(help: "The baseline file.")
    var baseline = "corpora/scenarios/baseline.json"

    @Flag(help: "Write the current metrics as the new baseline instead of checking.")
    var write = false

    func run() async throws {
        let reports = try await options.runAll()
        let url = URL(fileURLWithPath: baseline)
        if write {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(SimulationBaseline.from(reports)).write(to: url)
            print("wrote \(baseline) for \(reports.map(\.scenario).joined(separator: ", "))")
            return
        }
        let expected = try JSONDecoder().decode(SimulationBaseline.self, from: Data(contentsOf: url))
        let regressions = expected.regressions(reports)
        let checked = reports.reduce(0) { $0 + $1.metrics.count }
        guard regressions.isEmpty else {
            print("REGRESSION: \(regressions.count) of \(checked) metrics moved beyond their tolerance:")
            for regression in regressions { print("  \(regression)") }
            throw ExitCode.failure
        }
        print("regression gate: \(checked) metrics in \(reports.count) scenarios within tolerance of \(baseline)")
    }
}
extension LLMMode: ExpressibleByArgument {}
