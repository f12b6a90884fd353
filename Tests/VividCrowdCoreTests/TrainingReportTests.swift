import Foundation
import Testing
import VividCrowdCore
import VividCrowdTesting

private func client(_ transport: RepliesTransport) -> LLMClient {
    LLMClient(transport: transport, models: .init(chat: "chat", router: "router", evaluation: "coach", embedding: "e"))
}

@Suite struct TurnEvaluatorTests {
    @Test func aValidAnswerIsTheEvaluationAndAnOutOfRangeScoreIsAskedAgain() async {
        let transport = RepliesTransport([
            #"{"quality": "good", "issues": [], "suggestions": ["ask about budget"], "score": 9}"#,
            #"{"quality": "good", "issues": [" "], "suggestions": ["ask about budget"], "score": 4}"#,
        ])
        let outcome = await LLMTurnEvaluator(client: client(transport)).evaluate(
            message: "What matters most to your team?", stage: .needsDiagnosis, conversation: [.assistant("We are busy.")])
        #expect(outcome == .evaluated(TurnEvaluation(quality: .good, issues: [], suggestions: ["ask about budget"], score: 4)))
        let bodies = await transport.bodies
        #expect(bodies.count == 2)
        #expect(bodies.first?["model"]?.stringValue == "coach")
        let prompt = await transport.prompt()
        #expect(prompt.contains("What matters most to your team?") && prompt.contains("needs diagnosis"))
    }

    @Test func aModelThatNeverAnswersUsablyGivesNoScoreAtAll() async {
        let transport = RepliesTransport(["I think it was fine.", #"{"quality": "superb", "score": 5}"#])
        let outcome = await LLMTurnEvaluator(client: client(transport)).evaluate(message: "hi", stage: .trustAndRapport, conversation: [])
        #expect(outcome == .unavailable)
        #expect(outcome.evaluation == nil)
        #expect(await transport.bodies.count == 2)
    }
}

@Suite struct TrainingReportTests {
    private func turn(_ stage: SalesStage, _ score: Int?, suggestion: String = "") -> EvaluatedTurn {
        EvaluatedTurn(
            stage: stage, message: "m",
            evaluation: score.map { TurnEvaluation(quality: .good, issues: [], suggestions: suggestion.isEmpty ? [] : [suggestion], score: $0) })
    }

    @Test func pointsComeFromEvaluatedTurnsAndCompletionAndUnavailableTurnsScoreNothing() {
        #expect(TrainingReport.points(turns: [turn(.closing, 4), turn(.closing, 5)], completed: true) == 4.5)
        #expect(TrainingReport.points(turns: [turn(.closing, 4), turn(.closing, 5)], completed: false) == 2)
        #expect(TrainingReport.points(turns: [turn(.closing, nil)], completed: true) == 0)
        #expect(TrainingReport.points(turns: [], completed: true) == 0)
        #expect(TrainingReport.points(turns: [turn(.closing, 3), turn(.closing, 4), turn(.closing, 4)], completed: true) == 3.5)
    }

    @Test func theReportTotalsLevelsAndListsWhatToImproveFromTheWeakestStages() {
        let turns = [
            turn(.trustAndRapport, 5), turn(.needsDiagnosis, 4), turn(.needsDiagnosis, nil),
            turn(.valuePresentation, 2, suggestion: "tie the value to their downtime"), turn(.objectionHandling, 1, suggestion: "acknowledge first"),
        ]
        let progress = StageProgress(
            stage: .closing, completed: [.trustAndRapport, .needsDiagnosis, .valuePresentation], incomplete: [.objectionHandling])
        let report = TrainingReport(
            turns: turns, progress: progress, outcome: TrainingOutcome(agreed: false, evidence: nil, decidedBy: "rules"), chinese: false)
        #expect(report.stagePoints == [5, 4, 2, 1, 0])
        #expect(report.total == 12 && report.level == .average)
        #expect(report.strengths == ["trust and rapport: 5.0 of 5", "needs diagnosis: 4.0 of 5"])
        #expect(report.improvements == ["acknowledge first", "tie the value to their downtime"])
        #expect(report.unfinishedStages == [.objectionHandling, .closing])
        #expect(report.unevaluatedTurns == 1)
        #expect(TrainingReport.level(for: 21) == .excellent && TrainingReport.level(for: 20.5) == .good)
        #expect(TrainingReport.level(for: 16) == .good && TrainingReport.level(for: 10.5) == .poor)
        let svg = report.radarSVG(chinese: true)
        #expect(svg.hasPrefix("<svg") && svg.hasSuffix("</svg>"))
        #expect(svg.contains("异议处理 1.0") && svg.components(separatedBy: "<polygon").count == 7)
    }

    @Test func anAgreedNextStepNeedsTheRulesAndTheJudgeOrACompletedClose() {
        let agreeing = ["我们再考虑一下。", "好的，那就下周二安排一次现场演示吧。"]
        #expect(TrainingOutcome.decide(customerLines: agreeing, judgeAgrees: nil, closingCompleted: false)
            == TrainingOutcome(agreed: true, evidence: "好的，那就下周二安排一次现场演示吧。", decidedBy: "rules"))
        #expect(TrainingOutcome.decide(customerLines: agreeing, judgeAgrees: false, closingCompleted: true).agreed == false)
        #expect(TrainingOutcome.decide(customerLines: ["Sure, let's book a demo for Tuesday."], judgeAgrees: true, closingCompleted: true).decidedBy == "rules and judge")
        #expect(TrainingOutcome.decide(customerLines: ["不用安排演示了，我们再看看。"], judgeAgrees: nil, closingCompleted: true).agreed == false)
        #expect(TrainingOutcome.decide(customerLines: ["Hmm."], judgeAgrees: true, closingCompleted: false).agreed == false)
        #expect(TrainingOutcome.decide(customerLines: ["Hmm."], judgeAgrees: true, closingCompleted: true).decidedBy == "judge")
        #expect(TrainingOutcome.decide(customerLines: ["Not interested, thanks."], judgeAgrees: nil, closingCompleted: true).agreed == false)
    }
}
