import ArgumentParser
import Foundation
import VividCrowdCore
import VividCrowdEvaluation

/// The no-LLM sales stage detector against a TF-IDF + logistic-regression baseline, on stage-labelled turn files.
struct StagesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stages",
        abstract: "Per-turn sales stage accuracy and macro-F1 of the no-LLM stage detector, beside a TF-IDF baseline.",
        discussion: """
            Files are in the sales-stages format (one JSON object per turn: dialogue_id, turn, role, text, stage, \
            stage_source; see ../shared/data/sales-stages/SOURCE.md). Seller (or negotiator) turns with a stage are \
            scored; deal actions are left out. Both detectors learn from --train; a scored turn whose dialogue is in \
            --train is predicted by a model trained without its fold (--folds, grouped by dialogue, a stable hash of \
            the dialogue id), any other turn by the model trained on all of --train. An X_outcomes.jsonl beside a \
            turns file with `donated` adds the ROC AUC of the share of stages each dialogue reached against it. \
            Writes reports/stages.{md,json}.
            """)

    static let sharedDevFiles = ["persuasionforgood", "casino_trainvalid", "inspired_dev"].map { "../shared/data/sales-stages/\($0)_turns.jsonl" }

    @Option(name: .customLong("turns"), parsing: .upToNextOption, help: ArgumentHelp(
        "Turn files to score.", discussion: "Default: the three sales-stages dev files in ../shared/data, else the --train files."))
    var turnFiles: [String] = []

    @Option(name: .customLong("train"), parsing: .upToNextOption, help: "Turn files the detectors learn from.")
    var trainFiles: [String] = ["corpora/sales/stages/persuasionforgood_turns.jsonl", "corpora/sales/stages/casino_trainvalid_turns.jsonl"]

    @Option(help: "Cross-validation folds for dialogues the training files hold.")
    var folds = 5

    @Option(help: "Also write the JSON report to this file (reports/stages.json is always written).")
    var json: String?

    @Option(help: "Directory for the reports.")
    var reports = "reports"

    struct FileReport: Encodable {
        var file: String
        var detector: StageScores
        var baseline: StageScores
    }

    struct Report: Encodable {
        var accuracy: Double
        var macroF1: Double
        var perStageF1: [String: Double]
        var confusion: [[Int]]
        var baseline: StageScores
        var files: [String: FileReport]
        var training: [String]
        var folds: Int

        enum CodingKeys: String, CodingKey {
            case accuracy, confusion, baseline, files, training, folds
            case macroF1 = "macro_f1"
            case perStageF1 = "per_stage_f1"
        }
    }

    func run() async throws {
        let training = try trainFiles.map { try SalesTurnsFile.load(URL(fileURLWithPath: $0)) }
        var scored = turnFiles
        if scored.isEmpty {
            let shared = Self.sharedDevFiles.filter { FileManager.default.fileExists(atPath: $0) }
            scored = shared.isEmpty ? trainFiles : shared
        }
        let benchmark = StageBenchmark(training: training, folds: folds)
        var files: [String: FileReport] = [:]
        var order: [String] = []
        var pooled: [String: (gold: [SalesStage], predicted: [SalesStage])] = [:]
        for path in scored {
            let url = URL(fileURLWithPath: path)
            let file = try SalesTurnsFile.load(url)
            let donated = try SalesOutcome.load(besides: url).compactMapValues(\.donated)
            let gold = file.turns.map(\.example.stage)
            var scores: [String: StageScores] = [:]
            for (name, configuration) in [("detector", StageDetector.Configuration.contextual), ("baseline", .baseline)] {
                progress("stages: \(file.name), \(name)…")
                let predicted = benchmark.predictions(for: file, configuration: configuration).map(\.stage)
                var score = StageScores(gold: gold, predicted: predicted)
                score.outcomeAUC = StageScores.outcomeAUC(dialogues: file.turns.map(\.dialogueID), predicted: predicted, succeeded: donated)
                scores[name] = score
                pooled[name, default: ([], [])].gold += gold
                pooled[name, default: ([], [])].predicted += predicted
            }
            files[file.name] = FileReport(file: path, detector: scores["detector"]!, baseline: scores["baseline"]!)
            order.append(file.name)
        }
        let detector = StageScores(gold: pooled["detector"]!.gold, predicted: pooled["detector"]!.predicted)
        let baseline = StageScores(gold: pooled["baseline"]!.gold, predicted: pooled["baseline"]!.predicted)
        let report = Report(
            accuracy: detector.accuracy, macroF1: detector.macroF1, perStageF1: detector.perStageF1, confusion: detector.confusion,
            baseline: baseline, files: files, training: trainFiles, folds: benchmark.folds)
        let markdown = Self.markdown(report, detector: detector, order: order, arguments: CommandLine.arguments.dropFirst().joined(separator: " "))
        print(markdown)
        try writeText(markdown, to: reports + "/stages.md")
        try writeJSON(report, to: reports + "/stages.json")
        if let json { try writeJSON(report, to: json) }
    }

    static func markdown(_ report: Report, detector: StageScores, order: [String], arguments: String) -> String {
        func f(_ value: Double?) -> String { value.map { String(format: "%.3f", $0) } ?? "–" }
        func row(_ name: String, _ method: String, _ scores: StageScores) -> String {
            let stages = SalesStage.allCases.map { f(scores.perStageF1[String($0.rawValue)]) }.joined(separator: " | ")
            return "| \(name) | \(method) | \(scores.turns) | \(f(scores.accuracy)) | \(f(scores.macroF1)) | \(stages) | \(f(scores.outcomeAUC)) |"
        }
        var lines = [
            "# Sales stages: the no-LLM detector", "", "`vividcrowd-bench \(arguments)`", "",
            "Trained on \(report.training.joined(separator: ", ")); turns of training dialogues scored by \(report.folds)-fold "
                + "cross-validation grouped by dialogue.", "",
            "| file | method | turns | accuracy | macro-F1 | F1 trust | F1 needs | F1 value | F1 objection | F1 closing | outcome AUC |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for name in order {
            guard let file = report.files[name] else { continue }
            lines.append(row(name, "detector", file.detector))
            lines.append(row(name, "baseline", file.baseline))
        }
        lines.append(row("all", "detector", detector))
        lines.append(row("all", "baseline", report.baseline))
        lines += ["", "Detector confusion over all files (rows: labelled stage, columns: predicted):", "",
                  "| | " + SalesStage.allCases.map(\.name).joined(separator: " | ") + " |",
                  "|---|" + String(repeating: "---|", count: SalesStage.allCases.count)]
        for stage in SalesStage.allCases {
            lines.append("| \(stage.name) | " + report.confusion[stage.rawValue - 1].map(String.init).joined(separator: " | ") + " |")
        }
        lines += ["", "Detector: TF-IDF of the turn's words (1–2-grams) and characters (2–5-grams within words) and of the "
                  + "previous turn's words, softmax regression with balanced classes. Baseline: TF-IDF of the turn's words, "
                  + "plain logistic regression. Outcome AUC: the share of the five stages each dialogue's seller reached "
                  + "(as predicted) against whether the dialogue succeeded (PersuasionForGood: donated).", ""]
        return lines.joined(separator: "\n")
    }
}
