import Foundation
import VividCrowdCore

/// Synthetic customers through the customer-service desk: they ask real suite questions (out-of-scope ones too), say
/// handoff phrases with and without negation, and rate their sessions; the run becomes band, accuracy and handoff
/// metrics.
public struct CustomerServiceSimulation: Sendable {
    public let scenario: Scenario
    public let corpora: URL
    public let settings: VividCrowdConfiguration

    public init(scenario: Scenario, corpora: URL, settings: VividCrowdConfiguration) {
        self.scenario = scenario
        self.corpora = corpora
        self.settings = settings
    }

    /// One thing a user says, and what they want from it.
    public struct Turn: Sendable, Hashable {
        public var text: String
        /// The topic they mean; nil for out-of-scope questions and handoff phrases.
        public var intended: String?
        public var wantsHuman: Bool
    }

    /// The scenario's users: for each, their turns and the rating they give (nil: none).
    public static func population(_ scenario: Scenario, questions: [LabelledQuery]) -> [(turns: [Turn], rating: Int?)] {
        var random = SeededGenerator(seed: scenario.seed)
        return (0..<scenario.users).map { _ in
            let turns = (0..<scenario.turns).map { _ -> Turn in
                let roll = Double.random(in: 0..<1, using: &random)
                if roll < 0.1 {
                    return Turn(text: HandoffPhrases.requests.randomElement(using: &random)!, intended: nil, wantsHuman: true)
                }
                if roll < 0.15 {
                    return Turn(text: HandoffPhrases.negated.randomElement(using: &random)!, intended: nil, wantsHuman: false)
                }
                let question = questions.randomElement(using: &random)!
                return Turn(text: question.query, intended: question.expected, wantsHuman: false)
            }
            let rating = Double.random(in: 0..<1, using: &random) < 0.5 ? Int.random(in: 1...5, using: &random) : nil
            return (turns, rating)
        }
    }

    /// The scenario's users, drawn from its question file.
    public func users() throws -> [(turns: [Turn], rating: Int?)] {
        let questions = try LabelledQuery.load(
            jsonLines: Data(contentsOf: corpora.appendingPathComponent(scenario.questions)), source: scenario.questions)
        return Self.population(scenario, questions: questions)
    }

    /// Runs every user in turn, in process.
    public func run() async throws -> SimulationReport {
        guard let kbPath = scenario.knowledgeBase else {
            throw ScenarioError(file: scenario.name, reason: "a customer-service scenario needs knowledge_base")
        }
        let questions = try LabelledQuery.load(
            jsonLines: Data(contentsOf: corpora.appendingPathComponent(scenario.questions)), source: scenario.questions)
        let store = InMemoryStore()
        try await scenario.warmSuiteVectors(store.embeddings, corpora: corpora, settings: settings)
        let client = try LLMClient.make(configuration: settings, cassetteName: scenario.cassette)
        do {
            let report = try await drive(store: store, client: client, kb: corpora.appendingPathComponent(kbPath), questions: questions)
            try await client.shutdown()
            return report
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    private func drive(store: any VividCrowdStore, client: LLMClient, kb: URL, questions: [LabelledQuery]) async throws -> SimulationReport {
        let desk = try CustomerServiceDesk.make(store: store, llm: client, configuration: settings, corpora: corpora)
        _ = try await desk.importKnowledgeBase(try Data(contentsOf: kb), fileName: kb.lastPathComponent)
        var tally = CustomerServiceTally()
        let population = Self.population(scenario, questions: questions)
        ProgressReporter.current?.expect(population.count)
        for (number, user) in population.enumerated() {
            defer { ProgressReporter.current?.advance() }
            let session = try await desk.createSession()
            for turn in user.turns {
                tally.add(user: number, turn: turn, reply: try await desk.answer(turn.text, sessionID: session.id))
            }
            if let rating = user.rating { _ = try await desk.rate(session.id, rating: rating) }
        }
        let stats = try await desk.stats()
        var metrics = tally.metrics
        metrics["sessions"] = Double(stats.totalSessions)
        metrics["transfer_rate_percent"] = stats.transferRate
        metrics["rated_sessions"] = Double(stats.ratedSessions)
        metrics["avg_confidence"] = (stats.avgConfidence * 10_000).rounded() / 10_000
        metrics["llm_completion_tokens"] = Double(await client.meter.snapshot.completionTokens)
        return await .inProcess(
            scenario, metrics: metrics, measurements: tally.latencyMeasurements, client: client, transcript: tally.transcript)
    }
}

/// Turns customer-service replies into the scenario metrics, whichever driver produced them.
public struct CustomerServiceTally: Sendable {
    var bands: [MatchBand: Int] = [:]
    var (inScope, correct, outOfScope, outOfScopeKeptOut) = (0, 0, 0, 0)
    var (wanted, wantedAndGot, handedOff, falseHandoffs, ordinaryTurns) = (0, 0, 0, 0, 0)
    public private(set) var latencies: [Double] = []
    public private(set) var transcript: [String] = []

    public init() {}

    /// Counts one turn of user `user` and the reply it got.
    public mutating func add(user: Int, turn: CustomerServiceSimulation.Turn, reply: CustomerServiceReply, latencyMs: Double? = nil) {
        latencies.append(latencyMs ?? reply.latencyMs)
        transcript.append("user \(user): \(turn.text) -> \(reply.transferToHuman ? "handoff" : reply.matchType.rawValue) \(reply.matched?.topic ?? "-")")
        if turn.wantsHuman {
            wanted += 1
            if reply.transferToHuman { wantedAndGot += 1 }
        } else {
            ordinaryTurns += 1
            if reply.transferToHuman { falseHandoffs += 1 }
        }
        if reply.transferToHuman {
            handedOff += 1
            return
        }
        bands[reply.matchType, default: 0] += 1
        if turn.wantsHuman { return }
        if let intended = turn.intended {
            inScope += 1
            if reply.matched?.topic == intended { correct += 1 }
        } else if !HandoffPhrases.negated.contains(turn.text) {
            outOfScope += 1
            if reply.matchType == .low || reply.matchType == .noMatch { outOfScopeKeptOut += 1 }
        }
    }

    /// The deterministic metrics so far.
    public var metrics: [String: Double] {
        func share(_ part: Int, _ whole: Int) -> Double { whole == 0 ? 0 : Double(part) / Double(whole) }
        var metrics: [String: Double] = [
            "turns": Double(latencies.count), "top1_accuracy": share(correct, inScope),
            "oos_kept_out": share(outOfScopeKeptOut, outOfScope), "handoff_precision": share(wantedAndGot, handedOff),
            "handoff_recall": share(wantedAndGot, wanted), "false_handoff_rate": share(falseHandoffs, ordinaryTurns),
        ]
        for band in MatchBand.allCases { metrics["band_\(band.rawValue)"] = Double(bands[band] ?? 0) }
        return metrics
    }

    /// Latency percentiles (timing: reported, never gated).
    public var latencyMeasurements: [String: Double] { SimulationReport.percentiles("latency", latencies) }
}

extension Scenario {
    /// The built-in suite an embedding cassette `embeddings-NAME` belongs to.
    var suiteName: String? {
        embeddingCassette.flatMap { $0.hasPrefix("embeddings-") ? String($0.dropFirst("embeddings-".count)) : nil }
    }

    /// Fills `cache` with the suite's vectors from its cassette, when the scenario names one.
    func warmSuiteVectors(_ cache: any EmbeddingCache, corpora: URL, settings: VividCrowdConfiguration) async throws {
        guard let embeddingCassette, let suiteName else { return }
        // Always replayed: the suite's cassette belongs to the bench, and recording a scenario afresh must not
        // rewrite it with only what this scenario asked for.
        var replaying = settings
        replaying.llm.mode = .replay
        let client = try LLMClient.make(configuration: replaying, cassetteName: embeddingCassette)
        do {
            try await BuiltInSuite(name: suiteName, corpora: corpora).warm(cache, client: client)
            try await client.shutdown()
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}
