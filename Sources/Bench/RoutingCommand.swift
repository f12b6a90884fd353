import ArgumentParser
import Foundation
import VividCrowdCore
import VividCrowdEvaluation

/// Routing accuracy of the group-chat router on CLINC150's validation utterances with one persona per domain
/// (the guardrails have their own bench, `guardrails`).
struct RoutingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "routing",
        abstract: "Group-chat routing accuracy per path on CLINC150 val (domain personas).",
        discussion: """
            The semantic margin is chosen on the CLINC150 calibration split (from train), never on val. Utterance
            vectors replay from corpora/cassettes/embeddings-clinc150.json; persona vectors and LLM router answers
            from corpora/cassettes/routing.json (record with the local servers: --llm-mode auto after
            eval "$(scripts/local-models.sh env)"). Writes reports/routing.{md,json}.
            """)

    @OptionGroup var suiteOptions: SuiteOptions

    @Option(help: "Val utterances routed through every path, the LLM router included (seeded sample).")
    var sample = 300

    @Option(help: "Semantic-path accuracy the margin must reach on the calibration split.")
    var targetPrecision = 0.9

    struct PathFigures: Codable {
        var decided = 0
        var correct = 0
        var accuracy: Double { decided == 0 ? 0 : Double(correct) / Double(decided) }
    }

    struct Report: Codable {
        var personas: Int
        var semanticMargin: Float
        var calibrationUtterances: Int
        var valUtterances: Int
        /// Semantic path alone on all of val: coverage and accuracy where it decides.
        var semanticOnAll: PathFigures
        var sampled: Int
        var paths: [String: PathFigures]
        var routerAccuracy: Double
    }

    func run() async throws {
        var settings = try suiteOptions.settings()
        BLASThreads.set(1)
        settings.llm.localSchema = true
        let corpora = URL(fileURLWithPath: suiteOptions.corpora)
        let suite = corpora.appendingPathComponent("suites/clinc150")
        let domains = try JSONDecoder().decode([String: [String]].self, from: Data(contentsOf: suite.appendingPathComponent("domains.json")))
        var domainOfIntent: [String: String] = [:]
        for (domain, intents) in domains { for intent in intents { domainOfIntent[intent] = domain } }
        let personas = try PersonaLoader.load(
            Data(contentsOf: corpora.appendingPathComponent("personas/clinc-domains.json")), file: "clinc-domains.json")
        var personaOfDomain: [String: String] = [:]
        for domain in domains.keys {
            let name = domain.replacingOccurrences(of: "_", with: " ")
            guard let persona = personas.first(where: { $0.interests.contains(name) }) else {
                throw CommandFailure("no persona in clinc-domains.json has the interest \"\(name)\"")
            }
            personaOfDomain[domain] = persona.id
        }
        let clinc = try BuiltInSuite(name: "clinc150", corpora: corpora)
        let (val, calibration) = (clinc.queries, clinc.calibration)
        func expectedAgent(_ query: LabelledQuery) -> String? { query.expected.flatMap { domainOfIntent[$0] }.flatMap { personaOfDomain[$0] } }
        let inScopeVal = val.filter { expectedAgent($0) != nil }
        let inScopeCalibration = calibration.filter { expectedAgent($0) != nil }

        // Utterance vectors: the suite cassette's one canonical request, warmed into the cache.
        let utterances = try LLMClient.make(configuration: settings, cassetteName: "embeddings-clinc150")
        let cache = InMemoryEmbeddingCache()
        try await clinc.warm(cache, client: utterances)
        try await utterances.shutdown()

        let client = try LLMClient.make(configuration: settings, cassetteName: "routing")
        do {
            let report = try await measure(
                personas: personas, client: client, cache: cache, settings: settings, calibration: inScopeCalibration,
                val: inScopeVal, expectedAgent: expectedAgent)
            try await client.shutdown()
            let markdown = Self.markdown(report)
            try writeText(markdown, to: suiteOptions.reports + "/routing.md")
            try writeJSON(report, to: suiteOptions.reports + "/routing.json")
            print(markdown)
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    private func measure(
        personas: [Persona], client: LLMClient, cache: InMemoryEmbeddingCache, settings: VividCrowdConfiguration,
        calibration: [LabelledQuery], val: [LabelledQuery], expectedAgent: (LabelledQuery) -> String?
    ) async throws -> Report {
        let embedder = CachingEmbedder(client: client, cache: cache)
        let index = try await PersonaIndex.build(personas, embedder: embedder)
        func scores(_ text: String) async throws -> [Float] { index.scores(try await embedder.embed([text], inputType: "query")[0]) }

        // The margin: the smallest at which semantic decisions on the calibration split reach the target accuracy.
        var calibrationScores: [([Float], Int)] = []
        for query in calibration {
            calibrationScores.append((try await scores(query.query), personas.firstIndex { $0.id == expectedAgent(query) }!))
        }
        var margin: Float = 0.2
        for step in 0...100 {
            let candidate = Float(step) * 0.002
            let decided = calibrationScores.filter { Self.margin($0.0) >= candidate }
            let right = decided.filter { Self.best($0.0) == $0.1 }.count
            if !decided.isEmpty, Double(right) / Double(decided.count) >= targetPrecision {
                margin = candidate
                break
            }
        }

        var semantic = PathFigures()
        for query in val {
            let s = try await scores(query.query)
            if Self.margin(s) >= margin {
                semantic.decided += 1
                if personas[Self.best(s)].id == expectedAgent(query) { semantic.correct += 1 }
            }
        }

        var policy = GroupChatPolicy(settings.groupChat)
        policy.semanticMargin = margin
        policy.llmGuardRate = 0
        let router = GroupChatRouter(index: index, policy: policy, embedder: embedder, llm: client)
        var random = SeededGenerator(seed: 2026)
        let sampled = Array(val.shuffled(using: &random).prefix(sample))
        var paths: [String: PathFigures] = [:]
        var correct = 0
        let noon = ISO8601DateFormatter().date(from: "2026-12-01T12:00:00Z")!
        for (number, query) in sampled.enumerated() {
            if number % 50 == 0 { progress("routing \(number)/\(sampled.count)…") }
            let decision = try await router.route(
                query.query, context: RoutingContext(focusAgent: nil, recentUserMessages: [], exhausted: [], date: noon),
                draws: RoutingDraws.next(&random))
            let right = decision.agents.first == expectedAgent(query)
            paths[decision.path.rawValue, default: PathFigures()].decided += 1
            if right {
                paths[decision.path.rawValue, default: PathFigures()].correct += 1
                correct += 1
            }
        }
        return Report(
            personas: personas.count, semanticMargin: margin, calibrationUtterances: calibration.count,
            valUtterances: val.count, semanticOnAll: semantic, sampled: sampled.count, paths: paths,
            routerAccuracy: sampled.isEmpty ? 0 : Double(correct) / Double(sampled.count))
    }

    static func best(_ scores: [Float]) -> Int { scores.indices.max { scores[$0] < scores[$1] } ?? 0 }

    static func margin(_ scores: [Float]) -> Float {
        let sorted = scores.sorted(by: >)
        return sorted.count > 1 ? sorted[0] - sorted[1] : 1
    }

    static func markdown(_ report: Report) -> String {
        func percent(_ value: Double) -> String { String(format: "%.1f", value * 100) }
        var lines = [
            "# Group-chat routing on CLINC150 val", "",
            "\(report.personas) personas, one per CLINC150 domain (`corpora/personas/clinc-domains.json`); the right agent",
            "for an utterance is its intent's domain persona. Embeddings: multilingual-e5-small (replayed); LLM router:",
            "SmolLM2-135M through llama.cpp (replayed from `corpora/cassettes/routing.json`). Out-of-scope val is left out.", "",
            String(format: "Semantic margin %.3f, chosen on %d calibration utterances (CLINC150 train) as the smallest with ≥ 90%% accuracy.",
                   report.semanticMargin, report.calibrationUtterances), "",
            "## Semantic path alone, all \(report.valUtterances) in-scope val utterances", "",
            "| decided | share % | accuracy % |", "|---|---|---|",
            "| \(report.semanticOnAll.decided) | \(percent(Double(report.semanticOnAll.decided) / Double(max(1, report.valUtterances)))) | \(percent(report.semanticOnAll.accuracy)) |",
            "", "## The whole router on a seeded sample of \(report.sampled)", "",
            "| path | decided | share % | accuracy % |", "|---|---|---|---|",
        ]
        for path in RoutingDecision.Path.allCases.map(\.rawValue) {
            guard let figures = report.paths[path] else { continue }
            lines.append("| \(path) | \(figures.decided) | \(percent(Double(figures.decided) / Double(max(1, report.sampled)))) | \(percent(figures.accuracy)) |")
        }
        lines += [
            "| **all** | \(report.sampled) | 100 | **\(percent(report.routerAccuracy))** |", "",
            "Guardrails: `reports/guardrails.md` (`vividcrowd-bench guardrails`).",
            "", "Reproduce: `swift run -c release vividcrowd-bench routing`", "",
        ]
        return lines.joined(separator: "\n")
    }
}
