import Foundation

/// One speaker turn of a stage-labelled dialogue, in the format of `sales-stages/*_turns.jsonl`.
public struct SalesTurn: Sendable, Decodable {
    public var dialogueID: String
    public var turn: Int
    public var role: String
    public var text: String
    /// The seller turn's stage (1–5), nil when none of its labels carries one.
    public var stage: Int?
    /// "label", "objection_rule" or "deal_action" (a negotiation's non-text action).
    public var stageSource: String?

    enum CodingKeys: String, CodingKey {
        case turn, role, text, stage
        case dialogueID = "dialogue_id"
        case stageSource = "stage_source"
    }

    /// Whether the turn is a non-text deal action (left out of text classification and of the context).
    public var isDealAction: Bool { stageSource == "deal_action" }
}

/// A file of stage-labelled turns: the seller turns to classify, each with its dialogue and the turn before it.
public struct SalesTurnsFile: Sendable {
    /// A labelled seller turn and the dialogue it belongs to.
    public struct Labelled: Sendable {
        public var dialogueID: String
        public var example: StageExample
    }

    public var name: String
    public var turns: [Labelled]

    /// Reads `url`: seller (or negotiator) turns with a stage, deal actions left out; the previous turn is the last
    /// text turn before it in the same dialogue.
    public static func load(_ url: URL) throws -> SalesTurnsFile {
        let rows = try JSONLines.decode(SalesTurn.self, from: Data(contentsOf: url))
        var previous: [String: String] = [:]
        var turns: [Labelled] = []
        for row in rows where !row.isDealAction {
            defer { previous[row.dialogueID] = row.text }
            guard row.role == "seller" || row.role == "negotiator", let number = row.stage else { continue }
            guard let stage = SalesStage(rawValue: number) else {
                throw SalesTurnsError.badStage(file: url.lastPathComponent, dialogue: row.dialogueID, turn: row.turn, stage: number)
            }
            turns.append(Labelled(
                dialogueID: row.dialogueID,
                example: StageExample(text: row.text, previous: previous[row.dialogueID] ?? "", stage: stage)))
        }
        guard !turns.isEmpty else { throw SalesTurnsError.noLabelledTurns(file: url.lastPathComponent) }
        let name = url.deletingPathExtension().lastPathComponent
        return SalesTurnsFile(name: name.hasSuffix("_turns") ? String(name.dropLast("_turns".count)) : name, turns: turns)
    }
}

/// A turns file that cannot be scored.
public enum SalesTurnsError: Error, CustomStringConvertible {
    case badStage(file: String, dialogue: String, turn: Int, stage: Int)
    case noLabelledTurns(file: String)

    public var description: String {
        switch self {
        case .badStage(let file, let dialogue, let turn, let stage):
            return "\(file): dialogue \(dialogue) turn \(turn) has stage \(stage); stages are 1 to 5 or null"
        case .noLabelledTurns(let file):
            return "\(file) holds no seller turn with a stage (expected the sales-stages turn format, see its SOURCE.md)"
        }
    }
}

extension StageDetector {
    /// A detector trained on the seller turns of sales-stages `files` (the contextual configuration).
    public init(trainingFiles files: [URL], configuration: Configuration = .contextual) throws {
        let examples = try files.flatMap { try SalesTurnsFile.load($0).turns.map(\.example) }
        self.init(training: examples, configuration: configuration)
    }
}
