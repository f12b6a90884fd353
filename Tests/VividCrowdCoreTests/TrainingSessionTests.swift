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
    func session(scores: [Int?], completion: Double, roundCap: Int = 6) -> TrainingSession {
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

@Suite struct TrainingStoreConformanceTests {
    @Test(arguments: StoreBackend.allCases)
    func sessionsAreStoredListedNewestFirstAndTheirStateAndReportRoundTrip(_ backend: StoreBackend) async throws {
        let store = try await backend.open().training
        let early = Date(timeIntervalSince1970: 1_780_000_000)
        let first = try await store.createTrainingSession(customerID: 1, userID: "li", state: TrainingState(), at: early)
        let second = try await store.createTrainingSession(customerID: 2, userID: "wang", state: TrainingState(difficulty: .hard), at: early + 60)
        let third = try await store.createTrainingSession(customerID: 1, userID: "li", state: TrainingState(), at: early + 120)
        #expect([first.id, second.id, third.id] == ["1", "2", "3"])
        #expect(first.customerID == 1 && second.userID == "wang" && third.state == TrainingState())
        #expect(try await store.trainingSession(id: "2")?.state.difficulty == .hard)
        #expect(try await store.trainingSessions(userID: nil).map(\.id) == ["3", "2", "1"])
        #expect(try await store.trainingSessions(userID: "li").map(\.id) == ["3", "1"])
        let fresh = try #require(try await store.trainingSession(id: "1"))
        #expect(fresh.status == "active" && fresh.state == TrainingState() && fresh.report == nil)

        let turn = EvaluatedTurn(
            stage: .closing, message: "Shall we sign?",
            evaluation: TurnEvaluation(quality: .excellent, issues: [], suggestions: ["confirm the date"], score: 5))
        let state = TrainingState(
            progress: StageProgress(stage: .closing, completed: [.trustAndRapport, .needsDiagnosis, .valuePresentation, .objectionHandling, .closing], finished: true),
            conversation: [.user("Shall we sign?"), .assistant("好的，那就下周签约吧。")], turns: [turn])
        let report = TrainingReport(
            turns: [turn], progress: state.progress,
            outcome: TrainingOutcome.decide(customerLines: ["好的，那就下周签约吧。"], judgeAgrees: nil, closingCompleted: true), chinese: true)
        #expect(try await store.saveTrainingSession(id: "1", state: state, report: report, at: early + 600))
        #expect(try await !store.saveTrainingSession(id: "zzz", state: state, report: nil, at: early))
        let saved = try #require(try await store.trainingSession(id: "1"))
        #expect(saved.state == state && saved.report == report && saved.status == "completed")
        #expect(saved.updatedAt == early + 600 && saved.createdAt == early)
        #expect(saved.report?.outcome.agreed == true)
        // Ids keep counting after the largest, past nine (text ids compared as numbers).
        for minute in 4...10 { _ = try await store.createTrainingSession(customerID: 1, userID: "li", state: TrainingState(), at: early + Double(minute) * 60) }
        #expect(try await store.createTrainingSession(customerID: 1, userID: "li", state: TrainingState(), at: early + 900).id == "11")
    }
}

extension TrainingSessionTests {
    @Test func aSessionResumedFromItsStateCarriesOnWhereItStopped() async throws {
        let training = session(scores: [5, 5], completion: 0.9)
        try await training.handle("Hello there") { _ in }
        let stored = await training.state
        #expect(stored.progress.stage == .needsDiagnosis && stored.conversation.count == 2 && stored.turns.count == 1)
        let resumed = TrainingSession(
            id: "s1", customer: training.customer, client: LLMClient(transport: ScriptedTransport(), models: .init(chat: "c", router: "r", evaluation: "e", embedding: "m")),
            evaluator: ScriptedEvaluator([4]), controller: StageController(judge: SteadyJudge(completion: 0.9), detector: nil), state: stored)
        try await resumed.handle("What matters most to you?") { _ in }
        let after = await resumed.state
        #expect(after.progress.completed == [.trustAndRapport, .needsDiagnosis] && after.turns.map(\.stage) == [.trustAndRapport, .needsDiagnosis])
        #expect(after.conversation.count == 4)
    }
}

/// Holds evaluations until released (and lets every later one through), so a test can send a second message while
/// the first is in flight.
private actor Gate {
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var open = false
    private(set) var entered = 0

    func wait() async {
        entered += 1
        guard !open else { return }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        open = true
        for waiter in waiters { waiter.resume() }
        waiters.removeAll()
    }
}

private struct GatedEvaluator: TurnEvaluator {
    let gate: Gate

    func evaluate(message: String, stage: SalesStage, conversation: [ChatMessage]) async -> TurnEvaluationOutcome {
        await gate.wait()
        return .evaluated(TurnEvaluation(quality: .good, issues: [], suggestions: [], score: 3))
    }
}

extension TrainingSessionTests {
    @Test func aSecondMessageWhileTheFirstIsAnsweredIsRefusedAndTheFirstCompletes() async throws {
        let gate = Gate()
        let first = session(scores: [], completion: 0.1)
        let training = TrainingSession(
            id: "s2", customer: first.customer,
            client: LLMClient(transport: ScriptedTransport(), models: .init(chat: "c", router: "r", evaluation: "e", embedding: "m")),
            evaluator: GatedEvaluator(gate: gate), controller: StageController(judge: SteadyJudge(completion: 0.1), detector: nil))
        let pending = Task { try await training.handle("first") { _ in } }
        while await gate.entered == 0 { await Task.yield() }
        await #expect(throws: FrameRejection.self) { try await training.handle("second") { _ in } }
        await gate.release()
        try await pending.value
        #expect(await training.turns.map(\.message) == ["first"])
        try await training.handle("third") { _ in }
        #expect(await training.turns.count == 2)
    }
}
