import Foundation

/// A judge's verdict on how complete the current stage is, with the message just sent taken into account.
public struct StageJudgement: Sendable, Codable, Equatable {
    /// 0…1: how much of the stage's checklist the salesperson has covered.
    public var completion: Double
    /// Checklist items done and still missing, in the judge's words.
    public var met: [String]
    public var missing: [String]

    public init(completion: Double, met: [String] = [], missing: [String] = []) {
        self.completion = completion
        self.met = met
        self.missing = missing
    }

    /// The JSON schema the judge answers with.
    public static let schema: JSONValue = .object([
        "type": .string("object"),
        "properties": .object([
            "completion": .object(["type": .string("number"), "minimum": .number(0), "maximum": .number(1)]),
            "met": .object(["type": .string("array"), "items": .object(["type": .string("string")])]),
            "missing": .object(["type": .string("array"), "items": .object(["type": .string("string")])]),
        ]),
        "required": .array([.string("completion"), .string("met"), .string("missing")]),
    ])

    /// A judgement whose completion is a share; anything else is told to the model to try again.
    public func validated() throws -> StageJudgement {
        guard completion.isFinite, (0...1).contains(completion) else {
            throw StructuredOutputProblem("completion must be a number from 0 to 1")
        }
        return self
    }
}

/// Judges stage completion; the LLM judge in service, scripted ones in tests.
public protocol StageJudge: Sendable {
    /// How complete `stage` is after `message`, given the conversation before it (oldest first).
    func judge(stage: SalesStage, conversation: [ChatMessage], message: String) async throws -> StageJudgement
}

/// The judge as one structured call to the evaluation model: the stage's checklist, the recent conversation and the
/// message being judged, which is part of what it scores.
public struct LLMStageJudge: StageJudge {
    public let client: LLMClient
    /// Earlier turns shown to the judge.
    public let contextTurns: Int

    public init(client: LLMClient, contextTurns: Int = 8) {
        self.client = client
        self.contextTurns = contextTurns
    }

    public func judge(stage: SalesStage, conversation: [ChatMessage], message: String) async throws -> StageJudgement {
        let chinese = TrainingTranscript.isChinese(message: message, conversation: conversation)
        let transcript = TrainingTranscript.render(conversation.suffix(contextTurns), chinese: chinese)
        let checklist = stage.checklist(chinese: chinese).enumerated().map { "\($0.offset + 1). \($0.element)" }.joined(separator: "\n")
        let prompt = chinese
            ? "你在评估一次销售培训对话。当前阶段：\(stage.chineseName)。该阶段的要点：\n\(checklist)\n\n此前的对话：\n\(transcript.isEmpty ? "（无）" : transcript)\n\n销售刚刚说：\(message)\n\n把刚刚这句话也算在内，判断这个阶段完成了多少。只回答 JSON：{\"completion\": 0 到 1 的数, \"met\": [已做到的要点], \"missing\": [还缺的要点]}。"
            : "You are assessing a sales training conversation. Current stage: \(stage.name). What the stage asks for:\n\(checklist)\n\nThe conversation so far:\n\(transcript.isEmpty ? "(none)" : transcript)\n\nThe salesperson has just said: \(message)\n\nCounting that message too, how complete is this stage? Answer with JSON only: {\"completion\": a number from 0 to 1, \"met\": [items done], \"missing\": [items still missing]}."
        return try await client.structured(StructuredRequest<StageJudgement>(
            model: client.models.evaluation, messages: [.user(prompt)], schema: StageJudgement.schema, temperature: 0, seed: 7,
            maxTokens: 300, attempts: 2, validate: { try $0.validated() }))
    }
}

/// How the judge and the evaluator show a conversation to the model.
enum TrainingTranscript {
    /// Whether to prompt in Chinese: the message and the last turns decide.
    static func isChinese(message: String, conversation: [ChatMessage]) -> Bool {
        MessageText.isChinese(message + conversation.suffix(2).map(\.content).joined())
    }

    /// One line a turn, the trainee as the salesperson and the model's turns as the customer.
    static func render(_ turns: ArraySlice<ChatMessage>, chinese: Bool) -> String {
        turns.map { turn in
            let speaker = turn.role == .user ? (chinese ? "销售" : "Salesperson") : (chinese ? "客户" : "Customer")
            return "\(speaker): \(turn.content)"
        }.joined(separator: "\n")
    }
}
