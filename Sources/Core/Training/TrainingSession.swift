import Foundation

/// One training run: a trainee sells to a simulated customer through the five stages. Every trainee message is
/// evaluated and judged for stage completion (the two at once), then answered by the customer; the report closes it.
public actor TrainingSession {
    public nonisolated let id: String
    public nonisolated let customer: CustomerRecord
    let client: LLMClient
    let evaluator: any TurnEvaluator
    let controller: StageController
    let outcomeJudge: (any OutcomeJudge)?
    let copilot: (any TrainingCopilot)?
    /// The customer's sampling seed.
    let seed: Int
    public private(set) var progress = StageProgress()
    /// Trainee turns as user, customer turns as assistant.
    public private(set) var conversation: [ChatMessage] = []
    public private(set) var turns: [EvaluatedTurn] = []
    /// The difficulty the customer plays at this session; nil for the customer's own.
    public let difficulty: CustomerProfile.Difficulty?
    /// The report made when the last stage ended.
    public private(set) var finalReport: TrainingReport?
    private var busy = false

    /// A session from `state` (a new one by default, or one resumed from the store, with its report if finished).
    /// `outcomeJudge` confirms at the end whether the customer agreed to a next step; without one the rules decide.
    public init(
        id: String, customer: CustomerRecord, client: LLMClient, evaluator: any TurnEvaluator, controller: StageController,
        outcomeJudge: (any OutcomeJudge)? = nil, copilot: (any TrainingCopilot)? = nil, state: TrainingState = TrainingState(),
        report: TrainingReport? = nil, seed: Int = 7
    ) {
        self.id = id
        self.customer = customer
        self.client = client
        self.evaluator = evaluator
        self.controller = controller
        self.outcomeJudge = outcomeJudge
        self.copilot = copilot
        self.seed = seed
        self.finalReport = report
        self.progress = state.progress
        self.conversation = state.conversation
        self.turns = state.turns
        self.difficulty = state.difficulty
    }

    /// The session's state, as the store keeps it.
    public var state: TrainingState { TrainingState(progress: progress, conversation: conversation, turns: turns, difficulty: difficulty) }

    /// The customer's profile as played this session.
    nonisolated var profile: CustomerProfile {
        var profile = customer.profile
        if let difficulty { profile.difficulty = difficulty }
        return profile
    }

    /// Handles one trainee message, emitting in order: `evaluation` (or one saying it is unavailable), the customer's
    /// streamed reply and `customer_response`, `stage_completed` when the stage ends, the copilot's
    /// `copilot_suggestions` for what to say next, and `turn_end` with the progress (or, once the last stage is behind,
    /// `training_complete` with the report).
    public func handle(_ message: String, emit: @escaping @Sendable (ConversationEvent) async -> Void) async throws {
        guard !progress.finished else {
            throw FrameRejection(code: "training_finished", userMessage: "this training session is finished; start a new one")
        }
        // The actor lets another message in while this one awaits the models; one at a time keeps the turns in order.
        guard !busy else {
            throw FrameRejection(code: "busy", userMessage: "the previous message is still being answered; send the next one after it")
        }
        busy = true
        defer { busy = false }
        let current = progress
        let stage = current.stage
        let before = conversation
        let (evaluator, controller) = (self.evaluator, self.controller)
        async let evaluated = evaluator.evaluate(message: message, stage: stage, conversation: before)
        async let assessed = controller.assess(message: message, conversation: before, progress: current)
        let (evaluation, assessment) = await (evaluated, assessed)
        await emit(.notice(Self.evaluationFrame(evaluation, stage: stage)))
        let reply = try await CustomerAgent.reply(message, profile: profile, history: before, client: client, seed: seed, emit: emit)
        await emit(.notice(ConversationFrame(type: "customer_response", fields: ["content": .string(reply), "sender": .string(customer.name)])))
        conversation += [.user(message), .assistant(reply)]
        turns.append(EvaluatedTurn(stage: stage, message: message, evaluation: evaluation.evaluation))
        progress = assessment.progress
        if let completed = assessment.completedStage {
            var fields: [String: JSONValue] = [
                "stage": .number(Double(completed.rawValue)), "next_stage": assessment.nextStage.map { .number(Double($0.rawValue)) } ?? .null,
                "completed": .bool(!assessment.forcedByRoundCap),
            ]
            if let completion = assessment.completion { fields["completion"] = .number((completion * 1000).rounded() / 1000) }
            await emit(.notice(ConversationFrame(type: "stage_completed", fields: fields)))
        }
        if progress.finished {
            let judgeAgrees: Bool?
            if let outcomeJudge { judgeAgrees = try? await outcomeJudge.agreed(conversation: conversation) } else { judgeAgrees = nil }
            let report = report(judgeAgrees: judgeAgrees)
            finalReport = report
            let chinese = MessageText.isChinese(customer.profile.name)
            await emit(.result(try ConversationFrame(
                type: "training_complete", encoding: report, extra: ["radar_svg": .string(report.radarSVG(chinese: chinese))])))
        } else {
            if let copilot { await emit(.notice(await copilot.suggestionsFrame(stage: progress.stage, conversation: conversation))) }
            var fields: [String: JSONValue] = [
                "stage": .number(Double(progress.stage.rawValue)), "rounds_in_stage": .number(Double(progress.roundsInStage)),
                "decided_by": .string(assessment.source.rawValue),
            ]
            if let completion = assessment.completion { fields["completion"] = .number((completion * 1000).rounded() / 1000) }
            await emit(.result(ConversationFrame(type: "turn_end", fields: fields)))
        }
    }

    /// The report as the session stands: stage points from the evaluations and completion, and the outcome from
    /// the customer's last lines (the judge's verdict when one is given).
    public func report(judgeAgrees: Bool? = nil) -> TrainingReport {
        Self.report(state: state, customerName: customer.profile.name, judgeAgrees: judgeAgrees)
    }

    /// The report of a session in `state` with a customer named `customerName`.
    public static func report(state: TrainingState, customerName: String, judgeAgrees: Bool? = nil) -> TrainingReport {
        let customerLines = state.conversation.filter { $0.role == .assistant }.map(\.content)
        let outcome = TrainingOutcome.decide(
            customerLines: customerLines, judgeAgrees: judgeAgrees, closingCompleted: state.progress.completed.contains(.closing))
        return TrainingReport(
            turns: state.turns, progress: state.progress, outcome: outcome, chinese: MessageText.isChinese(customerName + customerLines.joined()))
    }

    static func evaluationFrame(_ outcome: TurnEvaluationOutcome, stage: SalesStage) -> ConversationFrame {
        guard let evaluation = outcome.evaluation else {
            return ConversationFrame(type: "evaluation", fields: [
                "available": .bool(false), "stage": .number(Double(stage.rawValue)),
                "detail": .string("the evaluation is unavailable for this message"),
            ])
        }
        return ConversationFrame(type: "evaluation", fields: [
            "available": .bool(true), "stage": .number(Double(stage.rawValue)), "quality": .string(evaluation.quality.rawValue),
            "issues": .array(evaluation.issues.map(JSONValue.string)), "suggestions": .array(evaluation.suggestions.map(JSONValue.string)),
            "score": .number(Double(evaluation.score)),
        ])
    }
}
