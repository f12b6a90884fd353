import Foundation
import VividCrowdCore

/// One labelled guardrail probe: a message that should trip the first two layers or be refused outright.
public struct GuardrailProbe: Sendable, Codable, Hashable {
    public var text: String
    public var source: String
    public var category: String
    /// `dev` (may inform the patterns), `held-out` (reported apart, never read while writing them) or `all`.
    public var split: String

    /// Probes from JSON lines holding at least `text`; `source` defaults to the file's name, `split` to `all`.
    public static func load(jsonLines data: Data, file: String) throws -> [GuardrailProbe] {
        var probes: [GuardrailProbe] = []
        for (number, line) in JSONLines.lines(try TextDecoding.decode(data).text) {
            guard let value = try? JSONValue.parse(String(line)), let text = value["text"]?.stringValue else {
                throw CommandFailure("\(file):\(number): expected a JSON object with a string \"text\"")
            }
            probes.append(GuardrailProbe(
                text: text, source: value["source"]?.stringValue ?? file, category: value["category"]?.stringValue ?? "",
                split: value["split"]?.stringValue ?? "all"))
        }
        return probes
    }
}

/// How the pattern and context layers do on ordinary messages (false positives) and on probes (recall).
public struct GuardrailEvaluation: Sendable, Codable {
    /// Recall on one group of probes.
    public struct Recall: Sendable, Codable {
        public var probes = 0
        /// Tripped the pattern layer.
        public var caught = 0
        /// Not tripped, but longer than a chat message may be, so refused before any persona sees it.
        public var refusedForLength = 0
        public var recall: Double { probes == 0 ? 0 : Double(caught) / Double(probes) }
        public var keptOut: Double { probes == 0 ? 0 : Double(caught + refusedForLength) / Double(probes) }
    }

    public var ordinaryMessages: Int
    public var patternFalsePositives: Int
    public var contextFalsePositives: Int
    public var falsePositiveExamples: [String]
    /// Keyed "source/split".
    public var recall: [String: Recall]
    /// Which rule category caught how many probes.
    public var caughtBy: [String: Int]
    /// A few missed held-out probes, shortened, for reading (not for writing patterns against).
    public var missedExamples: [String]

    public var falsePositiveRate: Double {
        Double(patternFalsePositives + contextFalsePositives) / Double(max(1, ordinaryMessages))
    }

    /// Runs both layers over `ordinary` (read as one user's stream, for the context layer) and the pattern layer over
    /// `probes`.
    public static func run(ordinary: [String], probes: [GuardrailProbe], patterns: GuardrailPatterns = GuardrailPatterns()) -> GuardrailEvaluation {
        let context = ContextGuard(patterns: patterns)
        var patternHits = 0
        var contextHits = 0
        var examples: [String] = []
        var recent: [String] = []
        for message in ordinary {
            if patterns.check(message) != nil {
                patternHits += 1
                if examples.count < 20 { examples.append(message) }
            } else if context.check(message, recentUserMessages: recent) != nil {
                contextHits += 1
            }
            recent = Array((recent + [message]).suffix(8))
        }
        var recall: [String: Recall] = [:]
        var caughtBy: [String: Int] = [:]
        var missed: [String] = []
        for probe in probes {
            let key = "\(probe.source)/\(probe.split)"
            recall[key, default: Recall()].probes += 1
            if let verdict = patterns.check(probe.text) {
                recall[key, default: Recall()].caught += 1
                caughtBy[verdict.category, default: 0] += 1
            } else if (try? MessageText.validate(probe.text)) == nil {
                recall[key, default: Recall()].refusedForLength += 1
            } else if probe.split != "dev", missed.count < 12 {
                missed.append(String(probe.text.prefix(100)).replacingOccurrences(of: "\n", with: " "))
            }
        }
        return GuardrailEvaluation(
            ordinaryMessages: ordinary.count, patternFalsePositives: patternHits, contextFalsePositives: contextHits,
            falsePositiveExamples: examples, recall: recall, caughtBy: caughtBy, missedExamples: missed)
    }
}
