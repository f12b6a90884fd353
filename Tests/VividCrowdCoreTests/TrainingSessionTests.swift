import Foundation
import Synchronization
import Testing
import VividCrowdCore
import VividCrowdTesting

/// Scores every message with the next scripted score (nil: unavailable).
private final class ScriptedEvaluator: TurnEvaluator, Sendable {
    private let scores: Mutex<[Int?]>

    init(_ scores: [Int?]) { self.scores = Mutex(scores) }

    func evaluate(message: String, stage: SalesStage, conversation: [ChatMessage]) async -> TurnEvaluationOutcome {
        let score = scores.withLock { $0.isEmpty ? nil : $0.removeFirst() }
        guard let score else { return .unavailable }
        return .evaluated(TurnEvaluation(quality: score >= 4 ? .excellent : .fair, issues: [], suggestions: ["say more in stage \(stage.rawValue)"], score: score))
    }
}

/// Judges every stage complete at `completion`.
private struct SteadyJudge: StageJudge {
    let completion: Double

    func judge(stage: SalesStage, conversation: [ChatMessage], message: String) async throws -> StageJudgement {
        StageJudgement(completion: completion)
    }
}

/// The events of one message.
private final class Events: Sendable {
    private let log = Mutex<[ConversationEvent]>([])

    func append(_ event: ConversationEvent) { log.withLock { $0.append(event) } }
    var types: [String] {
        log.withLock { events in
            events.map { event -> String in
                switch event {
                case .typing: return "typing"
                case .streamStart: return "stream_start"
                case .streamChunk: return "stream_chunk"
                case .streamEnd: return "stream_end"
                case .notice(let frame), .result(let frame): return frame.type
                case .failure(let code, _): return "failure:\(code)"
                }
            }
        }
    }
    func frame(_ type: String) -> ConversationFrame? {
        log.withLock { events in
            events.lazy.compactMap { event -> ConversationFrame? in
                switch event {
                case .notice(let frame), .result(let frame): return frame.type == type ? frame : nil
                default: return nil
                }
            }.first
        }
    }
}

@Suite struct TrainingSessionTests {
    private func session(scores: [Int?], completion: Double, roundCap: Int = 6) -> TrainingSession {
        let customer = CustomerRecord(
            id: 1,
            profile: CustomerProfile(
                name: "Wang", role: "director", industry: "manufacturing", personality: .critical, communicationStyle: "blunt",
                painPoints: ["downtime"], needs: ["quick rollout"], typicalObjections: ["another slideware product?"], hiddenObjections: [],
                decisionRole: "decides", budgetAuthority: "own budget", purchaseCycle: "two months", emotionalState: "anxious",
                riskAppetite: "low", difficulty: .hard),
            fileName: "wang.md", md5: "m", createdAt: Date(timeIntervalSince1970: 0))
        let client = LLMClient(transport: ScriptedTransport(), models: .init(chat: "c", router: "r", evaluation: "e", embedding: "m"))
        return TrainingSession(
            id: "s1", customer: customer, client: client, evaluator: ScriptedEvaluator(scores),
            controller: StageController(judge: SteadyJudge(completion: completion), detector: nil, roundCap: roundCap))
    }

    @Test func eachMessageIsEvaluatedAnsweredAndMovesTheStagesUntilTheReport() async throws {
        let training = session(scores: [5, 4, 5, 4, 5], completion: 0.9)
        let first = Events()
        try await training.handle("Hello, I'm Li from Acme.") { first.append($0) }
        #expect(first.types.first == "evaluation")
        #expect(Array(first.types.suffix(4)) == ["stream_end", "customer_response", "stage_completed", "turn_end"])
        #expect(first.types.contains("stream_start") && first.types.contains("stream_chunk"))
        #expect(first.frame("evaluation")?.fields["score"]?.doubleValue == 5)
        #expect(first.frame("stage_completed")?.fields["stage"]?.doubleValue == 1)
        #expect(first.frame("stage_completed")?.fields["next_stage"]?.doubleValue == 2)
        #expect(first.frame("turn_end")?.fields["stage"]?.doubleValue == 2)
        let reply = first.frame("customer_response")?.fields["content"]?.stringValue ?? ""
        #expect(reply.hasPrefix("alpha beta"))
        for message in ["What slows you down?", "Here is what it does for downtime.", "About the risk you mention...", "Shall we book a pilot?"] {
            try await training.handle(message) { _ in }
        }
        #expect(await training.progress.finished)
        #expect(await training.conversation.count == 10)
        let report = await training.report()
        #expect(report.stagePoints == [5, 4, 5, 4, 5] && report.total == 23 && report.level == .excellent)
        #expect(report.unfinishedStages.isEmpty && !report.outcome.agreed)
        await #expect(throws: FrameRejection.self) { try await training.handle("one more thing") { _ in } }
    }

    @Test func anUnavailableEvaluationIsSaidAndScoresNothingAndTheLastStageEndsWithTheReport() async throws {
        let training = session(scores: [nil], completion: 0.1, roundCap: 1)
        let first = Events()
        try await training.handle("hi") { first.append($0) }
        #expect(first.frame("evaluation")?.fields["available"]?.boolValue == false)
        #expect(first.frame("evaluation")?.fields["score"] == nil)
        #expect(first.frame("stage_completed")?.fields["completed"]?.boolValue == false)
        for _ in 0..<3 { try await training.handle("more") { _ in } }
        let last = Events()
        try await training.handle("bye") { last.append($0) }
        #expect(last.types.last == "training_complete")
        let complete = last.frame("training_complete")
        #expect(complete?.fields["total"]?.doubleValue == 0 && complete?.fields["level"]?.stringValue == "poor")
        let svg = complete?.fields["radar_svg"]?.stringValue ?? ""
        #expect(svg.hasPrefix("<svg"))
        #expect(complete?.fields["unfinished_stages"]?.arrayValue?.count == 5)
        #expect(complete?.fields["unevaluated_turns"]?.doubleValue == 5)
    }
}
