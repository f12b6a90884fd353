import ArgumentParser
import Foundation
import VividCrowdCore
import VividCrowdEvaluation

/// Routing accuracy of the group-chat router on CLINC150's validation utterances with one persona per domain, and
/// the guardrail's false-positive rate and recall.
struct RoutingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "routing",
        abstract: "Group-chat routing accuracy per path on CLINC150 val (domain personas) and guardrail FP rate / recall.",
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
        var guardrail: GuardrailFigures
    }

    struct GuardrailFigures: Codable {
        var ordinaryMessages: Int
        var patternFalsePositives: Int
        var contextFalsePositives: Int
        var falsePositiveRate: Double
        var probes: Int
        var probesCaught: Int
        var recall: Double
        var missed: [String]
        var excludedIntents: [String]
    }

    /// CLINC intents that are themselves questions about the assistant's identity: tripping on them is right.
    static let identityIntents: Set<String> = ["are_you_a_bot", "who_made_you", "what_is_your_name", "who_do_you_work_for"]

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
                val: inScopeVal, allVal: val, expectedAgent: expectedAgent)
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
        calibration: [LabelledQuery], val: [LabelledQuery], allVal: [LabelledQuery], expectedAgent: (LabelledQuery) -> String?
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
            routerAccuracy: sampled.isEmpty ? 0 : Double(correct) / Double(sampled.count),
            guardrail: try guardrailFigures(allVal: allVal))
    }

    private func guardrailFigures(allVal: [LabelledQuery]) throws -> GuardrailFigures {
        let corpora = URL(fileURLWithPath: suiteOptions.corpora)
        let hwu = try LabelledQuery.load(
            jsonLines: Data(contentsOf: corpora.appendingPathComponent("suites/hwu64/queries.jsonl")), source: "hwu64")
        let ordinary = (allVal + hwu).filter { !Self.identityIntents.contains($0.expected ?? "") }.map(\.query)
        let patterns = GuardrailPatterns()
        let context = ContextGuard(patterns: patterns)
        var patternHits = 0
        var contextHits = 0
        var recent: [String] = []
        for message in ordinary {
            if patterns.check(message) != nil {
                patternHits += 1
            } else if context.check(message, recentUserMessages: recent) != nil {
                contextHits += 1
            }
            recent = Array((recent + [message]).suffix(8))
        }
        let probeLines = try String(contentsOf: corpora.appendingPathComponent("guardrails/probes.jsonl"), encoding: .utf8)
            .split(whereSeparator: \.isNewline)
        let probes = try probeLines.map { try JSONValue.parse(String($0))["text"]?.stringValue ?? "" }
        let missed = probes.filter { patterns.check($0) == nil }
        return GuardrailFigures(
            ordinaryMessages: ordinary.count, patternFalsePositives: patternHits, contextFalsePositives: contextHits,
            falsePositiveRate: Double(patternHits + contextHits) / Double(max(1, ordinary.count)), probes: probes.count,
            probesCaught: probes.count - missed.count, recall: Double(probes.count - missed.count) / Double(max(1, probes.count)),
            missed: missed, excludedIntents: Self.identityIntents.sorted())
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
            "## Guardrails", "",
            "| ordinary messages | pattern FP | context FP | FP rate % | probes | caught | recall % |", "|---|---|---|---|---|---|---|",
            "| \(report.guardrail.ordinaryMessages) | \(report.guardrail.patternFalsePositives) | \(report.guardrail.contextFalsePositives) | "
                + String(format: "%.2f", report.guardrail.falsePositiveRate * 100) + " | \(report.guardrail.probes) | \(report.guardrail.probesCaught) | \(percent(report.guardrail.recall)) |",
            "",
            "Ordinary messages: CLINC150 val (in and out of scope) and HWU64 queries, read as one user's stream for the",
            "context layer, without the intents that are themselves identity questions (\(report.guardrail.excludedIntents.joined(separator: ", "))).",
            "Probes: `corpora/guardrails/probes.jsonl` (assembled for this project). Missed: "
                + (report.guardrail.missed.isEmpty ? "none." : report.guardrail.missed.joined(separator: " · ")),
            "", "Reproduce: `swift run -c release vividcrowd-bench routing`", "",
        ]
        return lines.joined(separator: "\n")
    }
}
