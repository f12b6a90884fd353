import Foundation
import Testing
import VividCrowdCore
import VividCrowdTesting

/// Answers with scripted completions (or fails) and remembers what it was asked.
private actor ScriptedJudge: StageJudge {
    var completions: [Double?]
    private(set) var asked: [(stage: SalesStage, message: String)] = []

    init(_ completions: [Double?]) { self.completions = completions }

    func judge(stage: SalesStage, conversation: [ChatMessage], message: String) async throws -> StageJudgement {
        asked.append((stage, message))
        let next = completions.isEmpty ? nil : completions.removeFirst()
        guard let next else { throw StructuredOutputProblem("scripted failure") }
        return StageJudgement(completion: next)
    }
}

@Suite struct StageControllerTests {
    static let detector = StageDetector(training: StageDetectorTests.examples)

    @Test func theStageAdvancesAtTheThresholdAndTheJudgeSeesTheMessageBeingJudged() async {
        let judge = ScriptedJudge([0.5, 0.85])
        let controller = StageController(judge: judge, detector: nil)
        let first = await controller.assess(message: "Hi, I'm Li from Acme.", conversation: [], progress: StageProgress())
        #expect(first.source == .judge && first.completion == 0.5 && first.completedStage == nil)
        #expect(first.progress.stage == .trustAndRapport && first.progress.roundsInStage == 1)
        let second = await controller.assess(
            message: "May I ask how your team works today?", conversation: [.user("Hi, I'm Li from Acme."), .assistant("Hello.")],
            progress: first.progress)
        #expect(second.completedStage == .trustAndRapport && second.nextStage == .needsDiagnosis)
        #expect(second.progress == StageProgress(stage: .needsDiagnosis, completed: [.trustAndRapport]))
        let asked = await judge.asked.map(\.message)
        #expect(asked == ["Hi, I'm Li from Acme.", "May I ask how your team works today?"])
    }

    @Test func theRoundCapLeavesAStageUnfinishedAndClosingEndsTheProcess() async {
        let controller = StageController(judge: ScriptedJudge([0.1, 0.2, 0.95]), detector: nil, roundCap: 2)
        let one = await controller.assess(message: "a", conversation: [], progress: StageProgress(stage: .objectionHandling))
        let two = await controller.assess(message: "b", conversation: [], progress: one.progress)
        #expect(two.forcedByRoundCap && two.completedStage == .objectionHandling && two.nextStage == .closing)
        #expect(two.progress.incomplete == [.objectionHandling] && two.progress.completed.isEmpty)
        let three = await controller.assess(message: "Shall we sign?", conversation: [], progress: two.progress)
        #expect(three.completedStage == .closing && three.nextStage == nil && three.progress.finished)
        let after = await controller.assess(message: "thanks", conversation: [], progress: three.progress)
        #expect(after.completedStage == nil && after.progress == three.progress)
    }

    @Test func aFailedJudgeFallsBackToTheDetectorAndWithoutOneClaimsNothing() async {
        let withDetector = StageController(judge: ScriptedJudge([nil]), detector: Self.detector, fastPathConfidence: 1.1)
        let fallback = await withDetector.assess(
            message: "Shall we sign the order this week?", conversation: [.assistant("Okay that works")],
            progress: StageProgress(stage: .valuePresentation))
        #expect(fallback.source == .detector)
        #expect(fallback.detected?.stage == .closing)
        #expect((fallback.completion ?? 0) > 0.5)
        let unknownWords = await withDetector.assess(message: "我们下周签约吧", conversation: [], progress: StageProgress())
        #expect(unknownWords.detected?.knownTerms == 0)
        #expect(unknownWords.source == .unavailable && unknownWords.completion == nil && unknownWords.completedStage == nil)
        let alone = StageController(judge: ScriptedJudge([nil]), detector: nil)
        let unavailable = await alone.assess(message: "hello", conversation: [], progress: StageProgress())
        #expect(unavailable.source == .unavailable && unavailable.completion == nil && unavailable.completedStage == nil)
        #expect(unavailable.progress.roundsInStage == 1)
    }

    @Test func aConfidentDetectorDecidesWithoutAskingTheJudge() async {
        let judge = ScriptedJudge([0.0])
        let controller = StageController(judge: judge, detector: Self.detector, fastPathConfidence: 0.6)
        let assessment = await controller.assess(
            message: "Shall we sign the order this week?", conversation: [.assistant("Okay that works")], progress: StageProgress())
        #expect(assessment.source == .detector && assessment.completedStage == .trustAndRapport)
        #expect(await judge.asked.isEmpty)
    }

    @Test func theLLMJudgeAsksTheEvaluationModelWithTheMessageAndRetriesAnOutOfRangeAnswer() async throws {
        let transport = RepliesTransport([#"{"completion": 7, "met": [], "missing": []}"#, #"{"completion": 0.9, "met": ["greeted"], "missing": []}"#])
        let client = LLMClient(transport: transport, models: .init(chat: "chat", router: "router", evaluation: "judge-model", embedding: "e"))
        let verdict = try await LLMStageJudge(client: client).judge(
            stage: .trustAndRapport, conversation: [.user("你好"), .assistant("你好，请问有什么事？")], message: "我是云图科技的小王，想耽误您五分钟")
        #expect(verdict == StageJudgement(completion: 0.9, met: ["greeted"], missing: []))
        let bodies = await transport.bodies
        #expect(bodies.count == 2)
        #expect(bodies.first?["model"]?.stringValue == "judge-model")
        let prompt = await transport.prompt()
        #expect(prompt.contains("我是云图科技的小王，想耽误您五分钟"))
        #expect(prompt.contains("建立信任"))
    }
}
