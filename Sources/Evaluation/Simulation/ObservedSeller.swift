import Foundation
import VividCrowdCore

/// A real seller from a stage-labelled dialogue (the `sales-stages` format) as a simulated trainee: the seller's turns
/// that carry a stage, in the order they were said, each with its label.
public struct ObservedSeller: Sendable, Codable {
    /// The turns file, relative to the corpora folder.
    public var turns: String
    /// Its outcomes file (one object per dialogue: `dialogue_id` with `donated` or `deal`).
    public var outcomes: String
    /// Dialogues whose buyer was persuaded (donated, or agreed a deal), or those whose buyer was not.
    public var persuaded: Bool

    private struct Outcome: Decodable {
        var dialogueID: String
        var donated: Bool?
        var deal: Bool?

        enum CodingKeys: String, CodingKey {
            case donated, deal
            case dialogueID = "dialogue_id"
        }
    }

    /// The dialogue chosen for `seed` and its first `count` staged seller turns. Only dialogues in which the seller
    /// reaches all five stages qualify (a whole sale, not a fragment); `excluding` names dialogues already taken.
    public func lines(corpora: URL, seed: UInt64, count: Int, excluding: Set<String>) throws
        -> (dialogue: String, lines: [TrainingSimulation.Trainee.Line])
    {
        let outcomes = try JSONLines.decode(Outcome.self, from: Data(contentsOf: corpora.appendingPathComponent(self.outcomes)))
        let wanted = Set(outcomes.filter { ($0.donated ?? $0.deal) == persuaded }.map(\.dialogueID))
        var staged: [String: [SalesTurn]] = [:]
        for turn in try JSONLines.decode(SalesTurn.self, from: Data(contentsOf: corpora.appendingPathComponent(turns)))
        where wanted.contains(turn.dialogueID) && !excluding.contains(turn.dialogueID) && !turn.isDealAction
            && (turn.role == "seller" || turn.role == "negotiator") && turn.stage != nil {
            staged[turn.dialogueID, default: []].append(turn)
        }
        let whole = staged.filter { Set($0.value.compactMap(\.stage)).count == SalesStage.allCases.count }.keys.sorted()
        guard !whole.isEmpty else {
            throw ScenarioError(
                file: turns, reason: "no dialogue with \(persuaded ? "a persuaded" : "an unpersuaded") buyer has seller turns in all five stages")
        }
        let dialogue = whole[Int(seed % UInt64(whole.count))]
        let lines = staged[dialogue, default: []].sorted { $0.turn < $1.turn }.prefix(count).map { turn in
            TrainingSimulation.Trainee.Line(stage: turn.stage ?? 0, completes: nil, text: turn.text)
        }
        return (dialogue, lines)
    }
}
