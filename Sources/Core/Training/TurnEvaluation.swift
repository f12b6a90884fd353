import Foundation

/// The evaluation of one trainee message: its quality, what went wrong, what to do instead, and a score.
public struct TurnEvaluation: Sendable, Codable, Equatable {
    public enum Quality: String, Sendable, Codable, CaseIterable { case fair, good, excellent }

    public var quality: Quality
    public var issues: [String]
    public var suggestions: [String]
    /// 1…5.
    public var score: Int

    public init(quality: Quality, issues: [String], suggestions: [String], score: Int) {
        self.quality = quality
        self.issues = issues
        self.suggestions = suggestions
        self.score = score
    }

    /// The JSON schema the evaluator answers with.
    public static let schema: JSONValue = .object([
        "type": .string("object"),
        "properties": .object([
            "quality": .object(["type": .string("string"), "enum": .array(Quality.allCases.map { .string($0.rawValue) })]),
            "issues": .object(["type": .string("array"), "items": .object(["type": .string("string")])]),
            "suggestions": .object(["type": .string("array"), "items": .object(["type": .string("string")])]),
            "score": .object(["type": .string("integer"), "minimum": .number(1), "maximum": .number(5)]),
        ]),
        "required": .array([.string("quality"), .string("issues"), .string("suggestions"), .string("score")]),
    ])

    /// An evaluation whose score is 1–5 and whose lists are trimmed; anything else is told to the model to try again.
    public func validated() throws -> TurnEvaluation {
        guard (1...5).contains(score) else { throw StructuredOutputProblem("score must be an integer from 1 to 5") }
        func clean(_ items: [String]) -> [String] {
            Array(items.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }.prefix(5))
        }
        return TurnEvaluation(quality: quality, issues: clean(issues), suggestions: clean(suggestions), score: score)
    }
}

/// What became of one message's evaluation: the evaluation, or the fact that none could be made (never a made-up
/// score).
public enum TurnEvaluationOutcome: Sendable, Equatable {
    case evaluated(TurnEvaluation)
    case unavailable

    /// The evaluation, if there is one.
    public var evaluation: TurnEvaluation? {
        if case .evaluated(let evaluation) = self { return evaluation }
        return nil
    }
}

/// Evaluates trainee messages; the LLM evaluator in service, scripted ones in tests.
public protocol TurnEvaluator: Sendable {
    /// Evaluates `message` sent in `stage` after `conversation` (trainee turns as user, customer turns as assistant).
    func evaluate(message: String, stage: SalesStage, conversation: [ChatMessage]) async -> TurnEvaluationOutcome
}

/// Per-turn evaluation as one structured call to the evaluation model, schema-validated with bounded retries.
public struct LLMTurnEvaluator: TurnEvaluator {
    public let client: LLMClient
    public let contextTurns: Int
    public let attempts: Int

    public init(client: LLMClient, contextTurns: Int = 6, attempts: Int = 2) {
        self.client = client
        self.contextTurns = contextTurns
        self.attempts = attempts
    }

    public func evaluate(message: String, stage: SalesStage, conversation: [ChatMessage]) async -> TurnEvaluationOutcome {
        let chinese = TrainingTranscript.isChinese(message: message, conversation: conversation)
        let transcript = TrainingTranscript.render(conversation.suffix(contextTurns), chinese: chinese)
        let checklist = stage.checklist(chinese: chinese).joined(separator: chinese ? "；" : "; ")
        let prompt = chinese
            ? "你是销售教练。当前阶段：\(stage.chineseName)（要点：\(checklist)）。\n此前的对话：\n\(transcript.isEmpty ? "（无）" : transcript)\n\n销售刚刚说：\(message)\n\n评价这句话。只回答 JSON：{\"quality\": \"fair\"|\"good\"|\"excellent\", \"issues\": [问题], \"suggestions\": [改进建议], \"score\": 1 到 5 的整数}。"
            : "You are a sales coach. Current stage: \(stage.name) (it asks for: \(checklist)).\nThe conversation so far:\n\(transcript.isEmpty ? "(none)" : transcript)\n\nThe salesperson has just said: \(message)\n\nEvaluate that message. Answer with JSON only: {\"quality\": \"fair\"|\"good\"|\"excellent\", \"issues\": [problems], \"suggestions\": [improvements], \"score\": an integer from 1 to 5}."
        do {
            return .evaluated(try await client.structured(StructuredRequest<TurnEvaluation>(
                model: client.models.evaluation, messages: [.user(prompt)], schema: TurnEvaluation.schema, temperature: 0, seed: 7,
                maxTokens: 400, attempts: attempts, validate: { try $0.validated() })))
        } catch {
            return .unavailable
        }
    }
}
