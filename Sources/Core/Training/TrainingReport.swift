import Foundation

/// One evaluated trainee message, as the report reads it.
public struct EvaluatedTurn: Sendable, Codable, Equatable {
    public var stage: SalesStage
    public var message: String
    /// Nil when the evaluation was unavailable: such turns count for nothing, rather than for a guessed score.
    public var evaluation: TurnEvaluation?

    public init(stage: SalesStage, message: String, evaluation: TurnEvaluation?) {
        self.stage = stage
        self.message = message
        self.evaluation = evaluation
    }
}

/// Whether the customer agreed to a concrete next step, and how that was established.
public struct TrainingOutcome: Sendable, Codable, Equatable {
    public var agreed: Bool
    /// The customer's words that agreed, when the rules found them.
    public var evidence: String?
    /// What decided: "rules", "rules and judge", "judge", or "none".
    public var decidedBy: String

    enum CodingKeys: String, CodingKey {
        case agreed, evidence
        case decidedBy = "decided_by"
    }

    public init(agreed: Bool, evidence: String?, decidedBy: String) {
        self.agreed = agreed
        self.evidence = evidence
        self.decidedBy = decidedBy
    }

    /// Agreement phrases of a customer accepting a next step (a meeting, a trial, a quote, an order), Chinese and
    /// English, and refusals that cancel them ("不用安排", "no need to schedule").
    static let agreements = [
        #"(好的|可以|行|没问题|那就)[^。！？!?]{0,12}(安排|约|见面|试用|演示|报价|签|下单|合同|发给我|发我)"#,
        #"(下周|明天|周[一二三四五六日]|月底|下午|上午)[^。！？!?]{0,10}(见|聊|演示|试用|安排|过来|签)"#,
        #"(?i)\b(let'?s|we can|i'?ll|sure,? (let'?s|send)|ok(ay)?,? (let'?s|send|book|schedule))\b[^.!?]{0,40}\b(meet|meeting|call|demo|trial|pilot|quote|proposal|contract|order|sign|schedule|book)"#,
        #"(?i)\b(send (me|over) (the|a) (quote|proposal|contract))"#,
    ]
    static let refusals = [#"(不用|不必|不需要|暂时不|先不)[^。！？!?]{0,8}(安排|约|见|试用|演示|报价|签)"#, #"(?i)\b(no need|not now|not interested|don'?t (send|schedule|book))\b"#]

    /// The customer's last agreeing line among `customerLines` (most recent first), by the rules alone.
    public static func ruleEvidence(_ customerLines: [String]) -> String? {
        for line in customerLines.reversed().prefix(3) {
            let refuses = refusals.contains { line.range(of: $0, options: .regularExpression) != nil }
            if !refuses, agreements.contains(where: { line.range(of: $0, options: .regularExpression) != nil }) { return line }
        }
        return nil
    }

    /// The outcome from the rules and, when given, the judge's verdict: both must agree for an agreement the rules
    /// found to stand; a judge alone can establish one only when the closing stage was completed.
    public static func decide(customerLines: [String], judgeAgrees: Bool?, closingCompleted: Bool) -> TrainingOutcome {
        let evidence = ruleEvidence(customerLines)
        switch (evidence, judgeAgrees) {
        case (let line?, nil): return TrainingOutcome(agreed: true, evidence: line, decidedBy: "rules")
        case (let line?, true?): return TrainingOutcome(agreed: true, evidence: line, decidedBy: "rules and judge")
        case (_?, false?): return TrainingOutcome(agreed: false, evidence: nil, decidedBy: "judge")
        case (nil, true?) where closingCompleted: return TrainingOutcome(agreed: true, evidence: nil, decidedBy: "judge")
        default: return TrainingOutcome(agreed: false, evidence: nil, decidedBy: judgeAgrees == nil ? "rules" : "rules and judge")
        }
    }
}

/// The end-of-session report: up to 5 points a stage (25 in all), a level, strengths, improvements, the stages left
/// unfinished, a radar chart and the outcome.
public struct TrainingReport: Sendable, Codable, Equatable {
    public enum Level: String, Sendable, Codable { case excellent, good, average, poor }

    /// Points per stage (0…5, in halves), indexed by `SalesStage.rawValue - 1`.
    public var stagePoints: [Double]
    public var total: Double
    public var level: Level
    public var strengths: [String]
    public var improvements: [String]
    public var unfinishedStages: [SalesStage]
    public var outcome: TrainingOutcome
    /// Turns whose evaluation was unavailable (they score nothing).
    public var unevaluatedTurns: Int

    enum CodingKeys: String, CodingKey {
        case total, level, strengths, improvements, outcome
        case stagePoints = "stage_points"
        case unfinishedStages = "unfinished_stages"
        case unevaluatedTurns = "unevaluated_turns"
    }

    /// The level of a total: excellent from 21, good from 16, average from 11, poor below.
    public static func level(for total: Double) -> Level {
        total >= 21 ? .excellent : total >= 16 ? .good : total >= 11 ? .average : .poor
    }

    /// A stage's points: the mean score (1–5) of its evaluated turns when it was completed; at most 2 when it was
    /// reached but left unfinished; 0 when it was never reached or none of its turns could be evaluated. Halves.
    public static func points(turns: [EvaluatedTurn], completed: Bool) -> Double {
        let scores = turns.compactMap { $0.evaluation.map { Double($0.score) } }
        guard !scores.isEmpty else { return 0 }
        let mean = scores.reduce(0, +) / Double(scores.count)
        return ((completed ? mean : min(mean, 2)) * 2).rounded() / 2
    }

    /// Builds the report of a session from its turns, its stage progress and its outcome.
    public init(turns: [EvaluatedTurn], progress: StageProgress, outcome: TrainingOutcome, chinese: Bool) {
        let completed = Set(progress.completed)
        let points = SalesStage.allCases.map { stage in
            Self.points(turns: turns.filter { $0.stage == stage }, completed: completed.contains(stage))
        }
        stagePoints = points
        total = points.reduce(0, +)
        level = Self.level(for: points.reduce(0, +))
        let name = { (stage: SalesStage) in chinese ? stage.chineseName : stage.name }
        strengths = SalesStage.allCases.filter { points[$0.rawValue - 1] >= 4 }.map { stage in
            chinese ? "\(name(stage))：\(points[stage.rawValue - 1]) / 5" : "\(name(stage)): \(points[stage.rawValue - 1]) of 5"
        }
        // The suggestions made in the weakest stages first, each once.
        let weakest = SalesStage.allCases.sorted { points[$0.rawValue - 1] < points[$1.rawValue - 1] }
        var seen = Set<String>()
        var suggestions: [String] = []
        for stage in weakest {
            for turn in turns where turn.stage == stage {
                for suggestion in turn.evaluation?.suggestions ?? [] where seen.insert(suggestion).inserted { suggestions.append(suggestion) }
            }
        }
        improvements = Array(suggestions.prefix(5))
        unfinishedStages = SalesStage.allCases.filter { !completed.contains($0) }
        self.outcome = outcome
        unevaluatedTurns = turns.filter { $0.evaluation == nil }.count
    }

    /// The radar chart: one axis a stage, the polygon at each stage's points out of 5.
    public func radarSVG(chinese: Bool, size: Int = 320) -> String {
        let center = Double(size) / 2
        let radius = center - 60
        func point(_ index: Int, _ share: Double) -> (Double, Double) {
            let angle = -Double.pi / 2 + Double(index) * 2 * Double.pi / 5
            return (center + radius * share * cos(angle), center + radius * share * sin(angle))
        }
        func format(_ pair: (Double, Double)) -> String { String(format: "%.1f,%.1f", pair.0, pair.1) }
        var parts = ["<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(size)\" height=\"\(size)\" viewBox=\"0 0 \(size) \(size)\" role=\"img\" aria-label=\"\(chinese ? "阶段得分雷达图" : "stage scores radar")\">"]
        for ring in 1...5 {
            let outline = (0..<5).map { format(point($0, Double(ring) / 5)) }.joined(separator: " ")
            parts.append("<polygon points=\"\(outline)\" fill=\"none\" stroke=\"#ccc\"/>")
        }
        for (index, stage) in SalesStage.allCases.enumerated() {
            let end = point(index, 1)
            let label = point(index, 1.22)
            parts.append("<line x1=\"\(center)\" y1=\"\(center)\" x2=\"\(String(format: "%.1f", end.0))\" y2=\"\(String(format: "%.1f", end.1))\" stroke=\"#ccc\"/>")
            let text = "\(chinese ? stage.chineseName : stage.name) \(stagePoints[index])"
            parts.append("<text x=\"\(String(format: "%.1f", label.0))\" y=\"\(String(format: "%.1f", label.1))\" text-anchor=\"middle\" font-size=\"12\">\(text)</text>")
        }
        let shape = (0..<5).map { format(point($0, stagePoints[$0] / 5)) }.joined(separator: " ")
        parts.append("<polygon points=\"\(shape)\" fill=\"rgba(37,99,235,0.35)\" stroke=\"#2563eb\" stroke-width=\"2\"/>")
        parts.append("</svg>")
        return parts.joined(separator: "\n")
    }
}
