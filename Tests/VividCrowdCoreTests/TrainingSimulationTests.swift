import Foundation
import Testing
import VividCrowdCore
import VividCrowdTesting

@testable import VividCrowdEvaluation

/// The frames one scripted line produced: its evaluation (a score, or unavailable) and the stage verdict.
private func turn(stage: Int, score: Int?, completed: Bool) -> [ConversationEvent] {
    var evaluation: [String: JSONValue] = ["stage": .number(Double(stage)), "available": .bool(score != nil)]
    if let score { evaluation["score"] = .number(Double(score)) }
    return [
        .notice(ConversationFrame(type: "evaluation", fields: evaluation)),
        .notice(ConversationFrame(type: "stage_completed", fields: ["stage": .number(Double(stage)), "completed": .bool(completed)])),
    ]
}

private func trainee(_ name: String, good: Bool) -> TrainingSimulation.Trainee {
    TrainingSimulation.Trainee(
        name: name, kind: good ? "good" : "poor",
        lines: [.init(stage: 1, completes: good, text: "a"), .init(stage: 2, completes: good, text: "b")])
}

private func report(total: Double, agreed: Bool) -> TrainingReport {
    var report = TrainingReport(
        turns: [], progress: StageProgress(), outcome: TrainingOutcome(agreed: agreed, evidence: nil, decidedBy: "rules"), chinese: false)
    report.total = total
    return report
}

@Suite struct TrainingTallyTests {
    @Test func separationOutcomesAndPassKAreCountedPerScenarioAndPair() {
        var tally = TrainingTally(runs: 2)
        let good = trainee("consultative", good: true)
        let poor = trainee("pushy", good: false)
        // Customer A: good wins both runs and passes both; customer B: good wins run 0 only, passes run 0 only.
        tally.add(customer: "A", trainee: good, run: 0, turns: [turn(stage: 1, score: 5, completed: true), turn(stage: 2, score: 4, completed: true)], report: report(total: 18, agreed: true))
        tally.add(customer: "A", trainee: poor, run: 0, turns: [turn(stage: 1, score: 2, completed: false), turn(stage: 2, score: nil, completed: true)], report: report(total: 6, agreed: false))
        tally.add(customer: "A", trainee: good, run: 1, turns: [turn(stage: 1, score: 4, completed: true), turn(stage: 2, score: 4, completed: false)], report: report(total: 12, agreed: false))
        tally.add(customer: "A", trainee: poor, run: 1, turns: [turn(stage: 1, score: 1, completed: false), turn(stage: 1, score: 1, completed: false)], report: report(total: 4, agreed: false))
        tally.add(customer: "B", trainee: good, run: 0, turns: [turn(stage: 1, score: 5, completed: true), turn(stage: 2, score: 5, completed: true)], report: report(total: 20, agreed: true))
        tally.add(customer: "B", trainee: poor, run: 0, turns: [turn(stage: 1, score: 3, completed: false), turn(stage: 2, score: 3, completed: false)], report: report(total: 11, agreed: false))
        tally.add(customer: "B", trainee: good, run: 1, turns: [turn(stage: 1, score: 2, completed: false), turn(stage: 2, score: 2, completed: false)], report: report(total: 8, agreed: false))
        tally.add(customer: "B", trainee: poor, run: 1, turns: [turn(stage: 1, score: 3, completed: false), turn(stage: 2, score: 3, completed: false)], report: report(total: 9, agreed: true))
        let metrics = tally.metrics
        #expect(metrics["sessions"] == 8 && metrics["trainee_lines"] == 16)
        // Every line but one (poor, A, run 1, second line still in stage 1) was sent in its script's stage.
        #expect(metrics["stage_accuracy"] == 15.0 / 16)
        // Verdicts that disagree with the script: poor A0 line 2, good A1 line 2, good B1 both lines.
        #expect(metrics["stage_completion_agreement"] == 12.0 / 16)
        #expect(metrics["evaluations_unavailable_share"] == 1.0 / 16)
        #expect(metrics["good_beats_poor_share"] == 3.0 / 4)
        #expect(metrics["report_total_gap"] == (58.0 / 4) - (30.0 / 4))
        #expect(metrics["outcome_rate_good"] == 0.5 && metrics["outcome_rate_poor"] == 0.25)
        // pass^2: good passes in both runs with A only; poor never twice.
        #expect(metrics["pass_k_good"] == 0.5 && metrics["pass_k_poor"] == 0)
    }

    @Test func observedSellersAreReadForStagesButStayOutOfTheSeparation() {
        var tally = TrainingTally(runs: 1)
        tally.add(customer: "A", trainee: trainee("consultative", good: true), run: 0,
                  turns: [turn(stage: 1, score: 5, completed: true), turn(stage: 2, score: 5, completed: true)], report: report(total: 15, agreed: true))
        tally.add(customer: "A", trainee: trainee("pushy", good: false), run: 0,
                  turns: [turn(stage: 1, score: 2, completed: false), turn(stage: 2, score: 2, completed: false)], report: report(total: 5, agreed: false))
        // A real seller who outscores the good script: it must change neither group's figures.
        let observed = TrainingSimulation.Trainee(
            name: "observed-donated", kind: "observed",
            lines: [.init(stage: 1, completes: nil, text: "Hi"), .init(stage: 3, completes: nil, text: "They help children.")])
        tally.add(customer: "A", trainee: observed, run: 0,
                  turns: [turn(stage: 1, score: 4, completed: true), turn(stage: 2, score: nil, completed: true)], report: report(total: 20, agreed: true),
                  readings: [1, 2])
        let metrics = tally.metrics
        #expect(metrics["sessions"] == 2 && metrics["trainee_lines"] == 4 && metrics["good_beats_poor_share"] == 1)
        #expect(metrics["report_total_good_mean"] == 15 && metrics["stage_completion_agreement"] == 1)
        #expect(metrics["observed_sessions"] == 1 && metrics["observed_lines"] == 2)
        // The detector read the second line, labelled stage 3, as stage 2; its evaluation was unavailable.
        #expect(metrics["observed_detector_accuracy"] == 0.5 && metrics["observed_evaluation_score_mean"] == 4)
        #expect(metrics["observed_report_total_mean"] == 20 && metrics["observed_outcome_rate"] == 1)
    }
}

@Suite struct ObservedSellerTests {
    private let corpora = repositoryRoot.appendingPathComponent("corpora")

    private func seller(persuaded: Bool) -> ObservedSeller {
        ObservedSeller(
            turns: "sales/stages/persuasionforgood_turns.jsonl", outcomes: "sales/stages/persuasionforgood_outcomes.jsonl", persuaded: persuaded)
    }

    @Test func aSeedChoosesOneWholeSaleWhoseStagedSellerTurnsComeInOrder() throws {
        let (dialogue, lines) = try seller(persuaded: true).lines(corpora: corpora, seed: 7, count: 5, excluding: [])
        #expect(lines.count == 5 && lines.allSatisfy { (1...5).contains($0.stage) && $0.completes == nil && !$0.text.isEmpty })
        // The same seed gives the same dialogue; excluding it gives another.
        #expect(try seller(persuaded: true).lines(corpora: corpora, seed: 7, count: 5, excluding: []).dialogue == dialogue)
        #expect(try seller(persuaded: true).lines(corpora: corpora, seed: 7, count: 5, excluding: [dialogue]).dialogue != dialogue)
        // The lines are that dialogue's own seller turns, in the order they were said.
        let rows = try JSONLines.decode(SalesTurn.self, from: Data(contentsOf: corpora.appendingPathComponent("sales/stages/persuasionforgood_turns.jsonl")))
        let said = rows.filter { $0.dialogueID == dialogue && $0.role == "seller" && $0.stage != nil }.map(\.text)
        #expect(lines.map(\.text) == Array(said.prefix(5)))
        #expect(Set(rows.filter { $0.dialogueID == dialogue && $0.role == "seller" }.compactMap(\.stage)).count == 5)
    }

    @Test func aDonorAndARefuserComeFromDifferentOutcomes() throws {
        let outcomes = try String(contentsOf: corpora.appendingPathComponent("sales/stages/persuasionforgood_outcomes.jsonl"), encoding: .utf8)
        for persuaded in [true, false] {
            let dialogue = try seller(persuaded: persuaded).lines(corpora: corpora, seed: 3, count: 5, excluding: []).dialogue
            let line = try #require(outcomes.split(separator: "\n").first { $0.contains("\"\(dialogue)\"") })
            #expect(line.contains("\"donated\": \(persuaded)"))
        }
    }
}

