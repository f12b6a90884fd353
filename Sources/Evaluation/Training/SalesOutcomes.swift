import Foundation
import VividCrowdCore

/// Per-dialogue outcomes (`*_outcomes.jsonl`): whether the persuadee donated (PersuasionForGood), when given.
public struct SalesOutcome: Sendable, Decodable {
    public var dialogueID: String
    public var donated: Bool?

    enum CodingKeys: String, CodingKey {
        case donated
        case dialogueID = "dialogue_id"
    }

    /// The outcomes file beside a turns file (`X_turns.jsonl` → `X_outcomes.jsonl`), if there is one.
    public static func load(besides turns: URL) throws -> [String: SalesOutcome] {
        let name = turns.lastPathComponent.replacingOccurrences(of: "_turns.jsonl", with: "_outcomes.jsonl")
        let url = turns.deletingLastPathComponent().appendingPathComponent(name)
        guard name != turns.lastPathComponent, FileManager.default.fileExists(atPath: url.path) else { return [:] }
        return Dictionary(try JSONLines.decode(SalesOutcome.self, from: Data(contentsOf: url)).map { ($0.dialogueID, $0) }) { first, _ in first }
    }
}
