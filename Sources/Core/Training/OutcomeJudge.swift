import Foundation

/// Judges, at the end of a training session, whether the customer agreed to a concrete next step.
public protocol OutcomeJudge: Sendable {
    /// True when the customer agreed to a concrete next step in `conversation` (trainee turns as user, customer turns
    /// as assistant); throws when it cannot tell.
    func agreed(conversation: [ChatMessage]) async throws -> Bool
}

/// The verdict the outcome judge answers with.
struct OutcomeVerdict: Sendable, Codable {
    var agreed: Bool
    var nextStep: String

    enum CodingKeys: String, CodingKey {
        case agreed
        case nextStep = "next_step"
    }

    static let schema: JSONValue = .object([
        "type": .string("object"),
        "properties": .object([
            "agreed": .object(["type": .string("boolean")]),
            "next_step": .object(["type": .string("string")]),
        ]),
        "required": .array([.string("agreed"), .string("next_step")]),
    ])
}

/// The outcome judge as one structured call to the evaluation model over the end of the conversation.
public struct LLMOutcomeJudge: OutcomeJudge {
    public let client: LLMClient
    /// Turns at the end of the conversation shown to the judge.
    public let contextTurns: Int

    public init(client: LLMClient, contextTurns: Int = 8) {
        self.client = client
        self.contextTurns = contextTurns
    }

    public func agreed(conversation: [ChatMessage]) async throws -> Bool {
        let chinese = MessageText.isChinese(conversation.suffix(4).map(\.content).joined())
        let transcript = TrainingTranscript.render(conversation.suffix(contextTurns), chinese: chinese)
        let prompt = chinese
            ? "下面是一次销售对话的结尾：\n\(transcript)\n\n客户是否同意了一个具体的下一步（会面、演示、试用、报价、签约或下单）？只是客气或说“再考虑”不算。只回答 JSON：{\"agreed\": true 或 false, \"next_step\": 客户同意的下一步，没有则为空字符串}。"
            : "Here is the end of a sales conversation:\n\(transcript)\n\nDid the customer agree to a concrete next step (a meeting, a demo, a trial, a quote, a contract or an order)? Politeness or \"I'll think about it\" does not count. Answer with JSON only: {\"agreed\": true or false, \"next_step\": the next step the customer agreed to, or an empty string}."
        let verdict = try await client.structured(StructuredRequest<OutcomeVerdict>(
            model: client.models.evaluation, messages: [.user(prompt)], schema: OutcomeVerdict.schema, temperature: 0, seed: 7,
            maxTokens: 200, attempts: 2))
        return verdict.agreed
    }
}
