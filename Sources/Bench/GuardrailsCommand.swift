import ArgumentParser
import Foundation
import VividCrowdCore
import VividCrowdEvaluation

/// The group-chat guardrails' false-positive rate on ordinary messages and their recall on probe collections.
struct GuardrailsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "guardrails",
        abstract: "Guardrail false positives on ordinary messages and recall on identity, role-play and jailbreak probes.",
        discussion: """
            Ordinary messages: CLINC150 val (in and out of scope), HWU64 and the Chinese customer-service queries of
            corpora/suites, without the intents that are themselves identity questions. Probes: every *.jsonl under
            --probes, one {"text", "source", "category", "split"} object per line (corpora/guardrails/README.md);
            recall is reported per source and split. Offline, no LLM: the sampled LLM layer is not measured here.
            Writes reports/guardrails.{md,json}.
            """)

    @Option(help: "Directory holding suites/ (the ordinary messages).")
    var corpora = "corpora"

    @Option(help: "Directory searched for probe files (*.jsonl), sub-folders included.")
    var probes = "corpora/guardrails"

    @Option(help: "Directory for the reports.")
    var reports = "reports"

    @Option(help: "Also print every probe of this split the patterns miss (e.g. dev), for reading; not in the report.")
    var printMissed: String?

    /// CLINC intents that are themselves questions about the assistant's identity: tripping on them is right.
    static let identityIntents: Set<String> = ["are_you_a_bot", "who_made_you", "what_is_your_name", "who_do_you_work_for"]

    func run() async throws {
        let suites = URL(fileURLWithPath: corpora).appendingPathComponent("suites")
        var ordinary: [String] = []
        for (suite, file) in [("clinc150", "queries.jsonl"), ("hwu64", "queries.jsonl"), ("qa", "queries.jsonl")] {
            let url = suites.appendingPathComponent("\(suite)/\(file)")
            ordinary += try LabelledQuery.load(jsonLines: Data(contentsOf: url), source: suite)
                .filter { !Self.identityIntents.contains($0.expected ?? "") }.map(\.query)
        }
        let probeFiles = try Self.probeFiles(under: URL(fileURLWithPath: probes))
        guard !probeFiles.isEmpty else { throw CommandFailure("no *.jsonl probe files under \(probes)") }
        var all: [GuardrailProbe] = []
        for file in probeFiles {
            let name = file.deletingPathExtension().lastPathComponent
            all += try GuardrailProbe.load(jsonLines: Data(contentsOf: file), file: name)
        }
        let evaluation = GuardrailEvaluation.run(ordinary: ordinary, probes: all)
        let markdown = Self.markdown(evaluation)
        try writeText(markdown, to: reports + "/guardrails.md")
        try writeJSON(evaluation, to: reports + "/guardrails.json")
        print(markdown)
        if let split = printMissed {
            let patterns = GuardrailPatterns()
            for probe in all where probe.split == split && patterns.check(probe.text) == nil {
                print("MISSED [\(probe.source)/\(probe.category)] " + probe.text.replacingOccurrences(of: "\n", with: " "))
            }
        }
    }

    static func probeFiles(under folder: URL) throws -> [URL] {
        guard let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil) else {
            throw CommandFailure("cannot read the folder \(folder.path)")
        }
        return walker.compactMap { $0 as? URL }.filter { $0.pathExtension == "jsonl" }.sorted { $0.path < $1.path }
    }

    static func markdown(_ evaluation: GuardrailEvaluation) -> String {
        func percent(_ value: Double) -> String { String(format: "%.1f", value * 100) }
        var lines = [
            "# Group-chat guardrails: false positives and recall", "",
            "Layers measured: patterns (layer 1) and the context layer (layer 2) on ordinary messages; patterns on probes.",
            "The sampled LLM layer is not counted. A probe longer than \(MessageText.maximumCharacters) characters is refused",
            "before any persona sees it whatever the guardrails say; \"kept out\" counts those too.", "",
            "## Ordinary messages", "",
            "| messages | pattern FP | context FP | FP rate % |", "|---|---|---|---|",
            "| \(evaluation.ordinaryMessages) | \(evaluation.patternFalsePositives) | \(evaluation.contextFalsePositives) | "
                + String(format: "%.2f", evaluation.falsePositiveRate * 100) + " |", "",
            "CLINC150 val, HWU64 and the Chinese customer-service queries, read as one user's stream.",
            "Pattern false positives: " + (evaluation.falsePositiveExamples.isEmpty ? "none." : evaluation.falsePositiveExamples.joined(separator: " · ")),
            "", "## Probes", "",
            "| source / split | probes | caught by patterns | recall % | refused for length | kept out % |", "|---|---|---|---|---|---|",
        ]
        for key in evaluation.recall.keys.sorted() {
            let r = evaluation.recall[key]!
            lines.append("| \(key) | \(r.probes) | \(r.caught) | \(percent(r.recall)) | \(r.refusedForLength) | \(percent(r.keptOut)) |")
        }
        lines += [
            "", "Caught by rule category: "
                + evaluation.caughtBy.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ".",
            "", "Some missed held-out probes (first 100 characters): ", "",
        ]
        lines += evaluation.missedExamples.map { "- " + $0.replacingOccurrences(of: "|", with: "\\|") }
        lines += ["", "Sources and licences: `corpora/guardrails/README.md`.", "",
                  "Reproduce: `swift run vividcrowd-bench guardrails` (any folder: `--probes DIR`)", ""]
        return lines.joined(separator: "\n")
    }
}
