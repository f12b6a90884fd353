import ArgumentParser
import Foundation
import VividCrowdCore
import VividCrowdDocuments
import VividCrowdEvaluation

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

    @Option(help: "Directory of the cassettes to replay or record (default: CASSETTE_DIR, else corpora/cassettes).")
    var cassettes: String?

    @Flag(inversion: .prefixedNo, help: ArgumentHelp(
        "Take the questions' and knowledge base's vectors from the suites' embedding cassettes.",
        discussion: "--no-suite-vectors embeds what a scenario needs through its own cassette (another embedding model)."))
    var suiteVectors = true

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

    /// Runs every chosen scenario in process and writes reports/sim-NAME.{md,json}. Logging is set up on the first
    /// run only: swift-log takes one bootstrap per process, and `check --write` runs twice (record, then replay).
    func runAll(bootstrapsLogging: Bool = true) async throws -> [SimulationReport] {
        var settings = try VividCrowdConfiguration.load()
        settings.llm.mode = llmMode
        settings.llm.model = model
        settings.llm.routerModel = model
        settings.llm.evaluationModel = model
        settings.llm.embeddingModel = embeddingModel
        settings.llm.localSchema = localSchema
        if let cassettes { settings.llm.cassetteDirectory = cassettes }
        if settings.logLevel == .info { settings.logLevel = .warning }
        if bootstrapsLogging { LoggingSetup.bootstrap(settings) }
        BLASThreads.set(1)
        let corpora = URL(fileURLWithPath: self.corpora)
        var reports: [SimulationReport] = []
        for file in try scenarioFiles {
            var scenario = try Scenario.load(file)
            if !suiteVectors { scenario.embeddingCassette = nil }
            FileHandle.standardError.write(Data("scenario \(scenario.name)…\n".utf8))
            // Users done, as a bar on a terminal or a line every few seconds in a log.
            let report = try await ProgressReporter.reporting("scenario \(scenario.name), users") {
                switch scenario.mode {
                case .customerService:
                    try await CustomerServiceSimulation(scenario: scenario, corpora: corpora, settings: settings).run()
                case .groupChat:
                    try await GroupChatSimulation(scenario: scenario, corpora: corpora, settings: settings).run()
                case .twins:
                    try await TwinsSimulation(scenario: scenario, corpora: corpora, settings: settings, pdf: MuPDFTextReader()).run()
                case .training:
                    try await TrainingSimulation(scenario: scenario, corpora: corpora, settings: settings, pdf: MuPDFTextReader()).run()
                }
            }
            try write(report)
            reports.append(report)
        }
        return reports
    }

    /// Writes reports/sim-NAME.{md,json}; `server` names the server an over-the-wire run drove.
    func write(_ report: SimulationReport, server: String? = nil) throws {
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
        let file = "corpora/scenarios/\(server == nil ? report.scenario : String(report.scenario.dropLast("-server".count))).json"
        if let server {
            lines += ["", "Driven over WebSocket against \(server); LLM calls and cassette use are the server's to count.",
                      "", "Reproduce: start `vividcrowd-server serve` (with the scenario's personas or knowledge base), then "
                      + "`swift run vividcrowd-sim run --server URL --scenario \(file)`", ""]
        } else {
            lines += ["", "LLM: \(report.llm.chatCalls + report.llm.streamedChatCalls) chat calls, \(report.llm.embeddingCalls) embedding calls, "
                      + "\(report.llm.promptTokens)+\(report.llm.completionTokens) tokens, cassette \(report.llm.cassetteHits) hits / \(report.llm.cassetteMisses) misses.",
                      "", "Reproduce: `swift run vividcrowd-sim run --scenario \(file)`", ""]
        }
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

    @Option(help: ArgumentHelp(
        "Drive a running server over WebSocket instead, the scenario's concurrency at a time.",
        discussion: "The server must hold the scenario's knowledge base (customer service) or run with its personas (group chat)."))
    var server: String?

    func run() async throws {
        if let server {
            let settings = try VividCrowdConfiguration.load()
            let corpora = URL(fileURLWithPath: options.corpora)
            for file in try options.scenarioFiles {
                let scenario = try Scenario.load(file)
                let report: SimulationReport
                switch scenario.mode {
                case .customerService:
                    report = try await CustomerServiceServerDriver(
                        simulation: CustomerServiceSimulation(scenario: scenario, corpora: corpora, settings: settings), server: server
                    ).run()
                case .groupChat:
                    report = try await GroupChatServerDriver(
                        simulation: GroupChatSimulation(scenario: scenario, corpora: corpora, settings: settings), server: server
                    ).run()
                case .twins, .training:
                    throw ValidationError("\(file.lastPathComponent): \(scenario.mode.rawValue) scenarios run in process; leave out --server or pass --scenario")
                }
                try options.write(report, server: server)
                print(Self.summary(report))
            }
            return
        }
        for report in try await options.runAll() { print(Self.summary(report)) }
    }

    static func summary(_ report: SimulationReport) -> String {
        "\(report.scenario): " + report.metrics.sorted { $0.key < $1.key }.map { "\($0.key)=\(String(format: "%.4g", $0.value))" }.joined(separator: " ")
    }
}

/// The regression gate.
struct CheckScenarios: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Run the scenarios and fail when a deterministic metric moves beyond its tolerance in the baseline.",
        discussion: """
            After an intended change: vividcrowd-sim check --write (then commit corpora/scenarios/baseline.json).
            With --llm-mode record or auto, --write records, then replays the new cassettes and writes what they give.
            """)

    @OptionGroup var options: ScenarioOptions

    @Option(help: "The baseline file.")
    var baseline = "corpora/scenarios/baseline.json"

    @Flag(help: "Write the current metrics as the new baseline instead of checking.")
    var write = false

    func run() async throws {
        var reports = try await options.runAll()
        if write, options.llmMode != .replay {
            // A recording run counts its misses; the baseline is what the new cassettes replay, offline.
            var replay = options
            replay.llmMode = .replay
            reports = try await replay.runAll(bootstrapsLogging: false)
        }
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
