import Foundation
import VividCrowdCore

/// Synthetic trainees of sales training: each scripted trainee (a consultative one and poor ones who pitch price
/// first or push) and each observed one (a real seller's turns from the stage-labelled dev dialogues) sells to each of
/// the scenario's customers, `runs` times with different customer seeds, through the real session (evaluator, stage
/// judge and detector, customer agent, outcome judge); the run becomes stage, score-separation, outcome and pass^k
/// metrics. The detector never learns from the dialogues observed trainees speak.
public struct TrainingSimulation: Sendable {
    public let scenario: Scenario
    public let corpora: URL
    public let settings: VividCrowdConfiguration
    public let pdf: any PDFTextReader

    public init(scenario: Scenario, corpora: URL, settings: VividCrowdConfiguration, pdf: any PDFTextReader) {
        self.scenario = scenario
        self.corpora = corpora
        self.settings = settings
        self.pdf = pdf
    }

    /// A trainee: scripted lines, or a real seller's turns (`observed`).
    public struct Trainee: Sendable, Codable {
        /// One message and what it should achieve.
        public struct Line: Sendable, Codable {
            public var stage: Int
            /// Whether the line does what its stage asks (the controller should judge the stage complete); nil when
            /// nobody has said (an observed seller's turn carries its stage label only).
            public var completes: Bool?
            public var text: String
        }

        public var name: String
        /// "good" or "poor" (scripted), or "observed" (a real seller, in neither group of the score separation).
        public var kind: String
        public var lines: [Line]
        /// Where an observed trainee's lines come from.
        public var observed: ObservedSeller?

        public var isGood: Bool { kind == "good" }
        public var isObserved: Bool { kind == "observed" }

        enum CodingKeys: String, CodingKey { case name, kind, lines, observed }

        public init(name: String, kind: String, lines: [Line], observed: ObservedSeller? = nil) {
            self.name = name
            self.kind = kind
            self.lines = lines
            self.observed = observed
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decode(String.self, forKey: .name)
            kind = try container.decode(String.self, forKey: .kind)
            observed = try container.decodeIfPresent(ObservedSeller.self, forKey: .observed)
            lines = try container.decodeIfPresent([Line].self, forKey: .lines) ?? []
        }
    }

    struct TraineeFile: Codable { var trainees: [Trainee] }

    /// A session passes when its report reaches "average" (11 of 25 points) or better.
    public static let passingTotal = 11.0

    public func run() async throws -> SimulationReport {
        var trainees = try JSONDecoder().decode(TraineeFile.self, from: Data(contentsOf: corpora.appendingPathComponent(scenario.questions))).trainees
        guard trainees.contains(where: \.isGood), trainees.contains(where: { !$0.isGood && !$0.isObserved }) else {
            throw ScenarioError(file: scenario.name, reason: "\(scenario.questions) needs good and poor trainees")
        }
        var heldOut = Set<String>()
        for (position, trainee) in trainees.enumerated() where trainee.isObserved {
            guard let source = trainee.observed else {
                throw ScenarioError(file: scenario.name, reason: "observed trainee \(trainee.name) names no `observed` dialogues")
            }
            let (dialogue, lines) = try source.lines(corpora: corpora, seed: scenario.seed, count: scenario.turns, excluding: heldOut)
            heldOut.insert(dialogue)
            trainees[position].lines = lines
        }
        guard let folder = scenario.customers else { throw ScenarioError(file: scenario.name, reason: "a training scenario needs customers") }
        let names = try FileManager.default.contentsOfDirectory(atPath: corpora.appendingPathComponent(folder).path)
            .filter { $0.hasSuffix(".md") }.sorted().prefix(scenario.users)
        guard !names.isEmpty else { throw ScenarioError(file: scenario.name, reason: "\(folder) holds no .md profiles") }
        var settings = settings
        if let tokens = scenario.twinPromptTokens { settings.twins.promptTokens = tokens }
        let client = try LLMClient.make(configuration: settings, cassetteName: scenario.cassette)
        do {
            let library = CustomerLibrary(
                store: InMemoryCustomerStore(), client: client, reader: DocumentReader(pdf: pdf, limits: settings.twins.limits),
                promptTokens: settings.twins.promptTokens, now: { Date(timeIntervalSince1970: 1_796_150_000) })
            var customers: [CustomerRecord] = []
            for name in names {
                customers.append(try await library.create(Data(contentsOf: corpora.appendingPathComponent(folder).appendingPathComponent(name)), fileName: name).customer)
            }
            // Trained without the observed sellers' dialogues, so that their lines are as new to it as a trainee's.
            let examples = try TrainingDesk.stageTurnFiles("sales/stages", directory: corpora).flatMap { file in
                try SalesTurnsFile.load(file).turns.filter { !heldOut.contains($0.dialogueID) }.map(\.example)
            }
            let detector = StageDetector(training: examples)
            let controller = StageController(
                judge: LLMStageJudge(client: client), detector: detector, advanceAt: settings.training.stageAdvanceAt,
                roundCap: scenario.stageRoundCap ?? settings.training.stageRoundCap)
            var tally = TrainingTally(runs: max(1, scenario.runs ?? 1))
            // Whole-message times: in replay every model call is a cassette lookup, so these are what is ours.
            var turnMilliseconds: [Double] = []
            let clock = ContinuousClock()
            for customer in customers {
                for trainee in trainees {
                    for run in 0..<tally.runs {
                        let session = TrainingSession(
                            id: "sim-\(customer.id)-\(trainee.name)-\(run)", customer: customer, client: client,
                            evaluator: LLMTurnEvaluator(client: client), controller: controller, outcomeJudge: LLMOutcomeJudge(client: client),
                            seed: Int(scenario.seed) + run)
                        var turns: [[ConversationEvent]] = []
                        var readings: [Int] = []
                        var customerSaid = ""
                        for line in trainee.lines.prefix(scenario.turns) {
                            // The detector's own reading of the line, in the conversation as it went (the customer's
                            // last reply as context): what the observed sellers' human labels are checked against.
                            readings.append(detector.predict(line.text, previous: customerSaid).stage.rawValue)
                            let recorder = EventRecorder()
                            let started = clock.now
                            try await session.handle(line.text) { recorder.append($0) }
                            let elapsed = clock.now - started
                            turnMilliseconds.append(Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
                            turns.append(recorder.events)
                            let reply = TrainingTally.frames(recorder.events).first { $0.type == "customer_response" }
                            customerSaid = reply?.fields["content"]?.stringValue ?? customerSaid
                        }
                        let final = await session.finalReport
                        let report: TrainingReport
                        if let final { report = final } else { report = await session.report() }
                        tally.add(customer: customer.name, trainee: trainee, run: run, turns: turns, report: report, readings: readings)
                    }
                }
            }
            let result = await SimulationReport.inProcess(
                scenario, metrics: tally.metrics, measurements: SimulationReport.percentiles("turn", turnMilliseconds), client: client,
                transcript: tally.transcript)
            try await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}

/// Turns training sessions into the scenario metrics.
public struct TrainingTally: Sendable {
    /// One session's result.
    struct Session {
        var customer: String
        var trainee: String
        var good: Bool
        var run: Int
        var total: Double
        var agreed: Bool
    }

    public let runs: Int
    private var sessions: [Session] = []
    private var (lines, stageAgreeing, completionAgreeing, completionJudged) = (0, 0, 0, 0)
    private var (evaluated, unavailable, goodScores, poorScores) = (0, 0, 0.0, 0.0)
    private var (goodEvaluated, poorEvaluated) = (0, 0)
    private var observedSessions: [Session] = []
    private var (observedLines, observedDetectorAgreeing, observedEvaluated, observedScores) = (0, 0, 0, 0.0)
    public private(set) var transcript: [String] = []

    public init(runs: Int) { self.runs = runs }

    static func frames(_ events: [ConversationEvent]) -> [ConversationFrame] {
        events.compactMap { event -> ConversationFrame? in
            switch event {
            case .notice(let frame), .result(let frame): return frame
            default: return nil
            }
        }
    }

    /// Counts one session: its trainee's lines, the frames each produced, and the report.
    /// `readings` are the stage detector's readings of the lines, in order (checked for observed sellers only).
    mutating func add(
        customer: String, trainee: TrainingSimulation.Trainee, run: Int, turns: [[ConversationEvent]], report: TrainingReport,
        readings: [Int] = []
    ) {
        transcript.append(
            "\(customer) × \(trainee.name) run \(run): \(report.total)/25 \(report.level.rawValue), points \(report.stagePoints), "
                + "outcome \(report.outcome.agreed ? "agreed" : "none") (\(report.outcome.decidedBy))")
        let session = Session(customer: customer, trainee: trainee.name, good: trainee.isGood, run: run, total: report.total, agreed: report.outcome.agreed)
        guard !trainee.isObserved else {
            // A real seller's turns: how well the stage is read from them, and how the session ends; not in the
            // good/poor separation, whose groups the scripts define.
            observedSessions.append(session)
            for (position, (line, events)) in zip(trainee.lines, turns).enumerated() {
                observedLines += 1
                if position < readings.count, readings[position] == line.stage { observedDetectorAgreeing += 1 }
                guard let evaluation = Self.frames(events).first(where: { $0.type == "evaluation" }) else { continue }
                if evaluation.fields["available"]?.boolValue == true, let score = evaluation.fields["score"]?.doubleValue {
                    observedEvaluated += 1
                    observedScores += score
                }
            }
            return
        }
        for (line, events) in zip(trainee.lines, turns) {
            lines += 1
            let frames = Self.frames(events)
            if let evaluation = frames.first(where: { $0.type == "evaluation" }) {
                if evaluation.fields["stage"]?.doubleValue.map(Int.init) == line.stage { stageAgreeing += 1 }
                if evaluation.fields["available"]?.boolValue == true, let score = evaluation.fields["score"]?.doubleValue {
                    evaluated += 1
                    if trainee.isGood { goodScores += score; goodEvaluated += 1 } else { poorScores += score; poorEvaluated += 1 }
                } else {
                    unavailable += 1
                }
            }
            if let completed = frames.first(where: { $0.type == "stage_completed" }), let done = completed.fields["completed"]?.boolValue,
                let completes = line.completes {
                completionJudged += 1
                if done == completes { completionAgreeing += 1 }
            }
        }
        sessions.append(session)
    }

    public var metrics: [String: Double] {
        func mean(_ values: [Double]) -> Double { values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count) }
        let good = sessions.filter(\.good)
        let poor = sessions.filter { !$0.good }
        // Per scenario (a customer and a run): does the good trainee outscore every poor one?
        let scenarios = Set(sessions.map { "\($0.customer)#\($0.run)" })
        let separated = scenarios.filter { key in
            let here = sessions.filter { "\($0.customer)#\($0.run)" == key }
            let best = here.filter { !$0.good }.map(\.total).max() ?? 0
            return here.filter(\.good).allSatisfy { $0.total > best }
        }
        // pass^k: of the (customer, trainee) pairs, the share that pass in all k runs.
        func passAllRuns(_ group: [Session]) -> Double {
            let pairs = Dictionary(grouping: group) { "\($0.customer)#\($0.trainee)" }
            guard !pairs.isEmpty else { return 0 }
            return Double(pairs.values.filter { $0.allSatisfy { $0.total >= TrainingSimulation.passingTotal } }.count) / Double(pairs.count)
        }
        return [
            "sessions": Double(sessions.count),
            "trainee_lines": Double(lines),
            "stage_accuracy": lines == 0 ? 0 : Double(stageAgreeing) / Double(lines),
            "stage_completion_agreement": completionJudged == 0 ? 0 : Double(completionAgreeing) / Double(completionJudged),
            "evaluations_unavailable_share": lines == 0 ? 0 : Double(unavailable) / Double(lines),
            "evaluation_score_good_mean": goodEvaluated == 0 ? 0 : goodScores / Double(goodEvaluated),
            "evaluation_score_poor_mean": poorEvaluated == 0 ? 0 : poorScores / Double(poorEvaluated),
            "report_total_good_mean": mean(good.map(\.total)),
            "report_total_poor_mean": mean(poor.map(\.total)),
            "report_total_gap": mean(good.map(\.total)) - mean(poor.map(\.total)),
            "good_beats_poor_share": scenarios.isEmpty ? 0 : Double(separated.count) / Double(scenarios.count),
            "outcome_rate_good": good.isEmpty ? 0 : Double(good.filter(\.agreed).count) / Double(good.count),
            "outcome_rate_poor": poor.isEmpty ? 0 : Double(poor.filter(\.agreed).count) / Double(poor.count),
            "pass_k_good": passAllRuns(good),
            "pass_k_poor": passAllRuns(poor),
            "runs_k": Double(runs),
            "observed_sessions": Double(observedSessions.count),
            "observed_lines": Double(observedLines),
            "observed_detector_accuracy": observedLines == 0 ? 0 : Double(observedDetectorAgreeing) / Double(observedLines),
            "observed_evaluation_score_mean": observedEvaluated == 0 ? 0 : observedScores / Double(observedEvaluated),
            "observed_report_total_mean": mean(observedSessions.map(\.total)),
            "observed_outcome_rate": observedSessions.isEmpty ? 0 : Double(observedSessions.filter(\.agreed).count) / Double(observedSessions.count),
        ]
    }
}
