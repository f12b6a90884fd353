import Foundation
import VividCrowdCore

/// Scores stage detectors on labelled turn files: every turn of a dialogue the training data also holds is
/// predicted by a model trained without that dialogue's fold (cross-validation grouped by dialogue); turns of other
/// dialogues by the model trained on all of it.
public struct StageBenchmark: Sendable {
    public var training: [SalesTurnsFile]
    public var folds: Int

    public init(training: [SalesTurnsFile], folds: Int = 5) {
        self.training = training
        self.folds = max(2, folds)
    }

    /// The fold of a dialogue: a stable hash of its id, so every machine splits the same way.
    public func fold(of dialogue: String) -> Int {
        Int(FNV.hash(dialogue) % UInt64(folds))
    }

    /// The predicted stage and its probabilities for every labelled turn of `file`, in order.
    public func predictions(for file: SalesTurnsFile, configuration: StageDetector.Configuration) -> [StagePrediction] {
        let trainingTurns = training.flatMap(\.turns)
        let known = Set(trainingTurns.map(\.dialogueID))
        var full: StageDetector?
        var predictions = [StagePrediction?](repeating: nil, count: file.turns.count)
        for fold in 0..<folds {
            let heldOut = Set(file.turns.map(\.dialogueID).filter { known.contains($0) && self.fold(of: $0) == fold })
            let positions = file.turns.indices.filter { position in
                let dialogue = file.turns[position].dialogueID
                return known.contains(dialogue) ? heldOut.contains(dialogue) : fold == 0
            }
            guard !positions.isEmpty else { continue }
            let detector: StageDetector
            if heldOut.isEmpty {
                if full == nil { full = StageDetector(training: trainingTurns.map(\.example), configuration: configuration) }
                detector = full!
            } else {
                detector = StageDetector(
                    training: trainingTurns.filter { !heldOut.contains($0.dialogueID) }.map(\.example), configuration: configuration)
            }
            for position in positions {
                let example = file.turns[position].example
                predictions[position] = detector.predict(example.text, previous: example.previous)
            }
        }
        return predictions.map { $0! }
    }
}

/// Accuracy, macro-F1 (over the stages in the gold labels or the predictions), per-stage F1 and the confusion matrix.
public struct StageScores: Sendable, Encodable {
    public var turns: Int
    public var accuracy: Double
    public var macroF1: Double
    /// Keyed by stage number ("1"…"5"), for the stages that occur.
    public var perStageF1: [String: Double]
    /// `confusion[gold - 1][predicted - 1]`.
    public var confusion: [[Int]]
    /// ROC AUC of the share of stages each dialogue's seller reached (as predicted) against its outcome, when the file
    /// has outcomes.
    public var outcomeAUC: Double?

    enum CodingKeys: String, CodingKey {
        case turns, accuracy, confusion
        case macroF1 = "macro_f1"
        case perStageF1 = "per_stage_f1"
        case outcomeAUC = "outcome_auc"
    }

    public init(gold: [SalesStage], predicted: [SalesStage]) {
        let count = SalesStage.allCases.count
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: count), count: count)
        for (truth, guess) in zip(gold, predicted) { confusion[truth.rawValue - 1][guess.rawValue - 1] += 1 }
        var perStage: [String: Double] = [:]
        for stage in SalesStage.allCases {
            let row = stage.rawValue - 1
            let truePositives = confusion[row][row]
            let goldCount = confusion[row].reduce(0, +)
            let predictedCount = confusion.reduce(0) { $0 + $1[row] }
            guard goldCount + predictedCount > 0 else { continue }
            perStage[String(stage.rawValue)] = 2 * Double(truePositives) / Double(goldCount + predictedCount)
        }
        self.turns = gold.count
        self.accuracy = gold.isEmpty ? 0 : Double(zip(gold, predicted).filter { $0 == $1 }.count) / Double(gold.count)
        self.macroF1 = perStage.isEmpty ? 0 : perStage.values.reduce(0, +) / Double(perStage.count)
        self.perStageF1 = perStage
        self.confusion = confusion
    }

    /// The outcome AUC of `predicted` stages grouped by `dialogues`, against which dialogues succeeded.
    public static func outcomeAUC(dialogues: [String], predicted: [SalesStage], succeeded: [String: Bool]) -> Double? {
        guard !succeeded.isEmpty else { return nil }
        var reached: [String: Set<SalesStage>] = [:]
        for (dialogue, stage) in zip(dialogues, predicted) { reached[dialogue, default: []].insert(stage) }
        var positives: [Double] = []
        var negatives: [Double] = []
        for (dialogue, stages) in reached {
            guard let success = succeeded[dialogue] else { continue }
            let share = Double(stages.count) / Double(SalesStage.allCases.count)
            if success { positives.append(share) } else { negatives.append(share) }
        }
        return RankStatistics.rocAUC(positives: positives, negatives: negatives)
    }
}
