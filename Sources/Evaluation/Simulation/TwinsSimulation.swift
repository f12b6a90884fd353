import Foundation
import Synchronization
import VividCrowdCore

/// Synthetic readers of twins: each talks in private with a twin made from one document of a twins-qa folder,
/// asking that document's questions (answerable ones, and ones it does not cover), and now and then puts a question
/// to the shipped twins as a group; the run becomes refusal, evidence, citation, length and serial-speaking metrics.
public struct TwinsSimulation: Sendable {
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

    /// One message of a user's script.
    public struct Step: Sendable {
        public var text: String
        /// Private: the document whose twin is asked and the suite question; nil for a group question.
        public var document: String?
        public var query: TwinsQuery?
        /// Group: the twin whose document covers the question (nil: none does).
        public var coveredBy: String?

        public var mode: TwinReplyMode { document == nil ? .group : .private }
    }

    /// What a scenario's users talk to and about.
    public struct Material: Sendable {
        public var suite: TwinsSuite
        public var groupQuestions: [LabelledQuery]
        public var groupTwins: URL
    }

    /// Loads the scenario's twins-qa folder, group questions and group manifest.
    public func material() throws -> Material {
        guard let suitePath = scenario.twinSuite, let twinsPath = scenario.twins else {
            throw ScenarioError(file: scenario.name, reason: "a twins scenario needs twin_suite and twins")
        }
        let suite = try TwinsSuite.load(corpora.appendingPathComponent(suitePath), source: .text)
        guard !suite.documents.isEmpty else { throw ScenarioError(file: scenario.name, reason: "\(suitePath) holds no documents") }
        let questions = try LabelledQuery.load(
            jsonLines: Data(contentsOf: corpora.appendingPathComponent(scenario.questions)), source: scenario.questions)
        return Material(suite: suite, groupQuestions: questions, groupTwins: corpora.appendingPathComponent(twinsPath))
    }

    /// Every user's script, drawn from the scenario's seed: user n reads document n (round robin) and each turn is an
    /// answerable question (half the turns), a question its document does not cover, or a group question.
    public static func population(_ scenario: Scenario, material: Material) -> [[Step]] {
        var random = SeededGenerator(seed: scenario.seed)
        let documents = material.suite.documents
        return (0..<scenario.users).map { user in
            let document = documents[user % documents.count]
            let asked = material.suite.queries.filter { $0.doc == document }
            let answerable = asked.filter(\.isAnswerable)
            let uncovered = asked.filter { !$0.isAnswerable }
            return (0..<scenario.turns).map { _ -> Step in
                let roll = Int.random(in: 0..<4, using: &random)
                if roll == 3, let question = material.groupQuestions.randomElement(using: &random) {
                    return Step(text: question.query, coveredBy: question.expected)
                }
                let pool = roll == 2 && !uncovered.isEmpty ? uncovered : answerable.isEmpty ? uncovered : answerable
                let query = pool.randomElement(using: &random)!
                return Step(text: query.query, document: document, query: query)
            }
        }
    }

    /// Makes the twins (one per document, then the group's) and runs every user in turn, in process.
    public func run() async throws -> SimulationReport {
        let material = try material()
        var settings = settings
        if let tokens = scenario.twinPromptTokens { settings.twins.promptTokens = tokens }
        let client = try LLMClient.make(configuration: settings, cassetteName: scenario.cassette)
        do {
            let library = try TwinLibrary.make(store: InMemoryStore(), llm: client, pdf: pdf, configuration: settings, corpora: corpora)
            let report = try await drive(material: material, library: library, client: client)
            try await client.shutdown()
            return report
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    private func drive(material: Material, library: TwinLibrary, client: LLMClient) async throws -> SimulationReport {
        var documentTwins: [String: TwinRecord] = [:]
        for document in material.suite.documents {
            let upload = TwinUpload(
                data: Data(try material.suite.text(of: document).utf8), fileName: "\(document).txt", sourceType: .topic,
                name: material.suite.titles[document])
            documentTwins[document] = try await library.create(upload).twin
        }
        let groupUploads = try TwinSeed.uploads(manifest: material.groupTwins)
        var group: [TwinRecord] = []
        for upload in groupUploads { group.append(try await library.create(upload).twin) }
        var tally = TwinsTally()
        var passages: [Int: [DocumentChunk]] = [:]
        for twin in documentTwins.values.sorted(by: { $0.id < $1.id }) + group {
            passages[twin.id] = try await library.store.chunks(twinID: twin.id)
        }
        tally.twins = documentTwins.count + group.count
        tally.passages = passages.values.reduce(0) { $0 + $1.count }
        let start = Date(timeIntervalSince1970: 1_796_150_000)
        let population = Self.population(scenario, material: material)
        ProgressReporter.current?.expect(population.count)
        for (user, script) in population.enumerated() {
            defer { ProgressReporter.current?.advance() }
            let conversation = TwinConversation(
                library: library, sessionID: "sim-\(user)", clock: VirtualClock(start: start), historyLimit: 2, date: { start })
            for step in script {
                let addressed = step.document.flatMap { documentTwins[$0] }.map { [$0] } ?? group
                let recorder = EventRecorder()
                try await conversation.handle(TwinChatMessage(text: step.text, twinIDs: addressed.map(\.id), mode: step.mode)) {
                    recorder.append($0)
                }
                tally.add(user: user, step: step, addressed: addressed, events: recorder.events, passages: passages)
            }
        }
        return await .inProcess(scenario, metrics: tally.metrics, client: client, transcript: tally.transcript)
    }
}

/// The events of one message, in the order the conversation emitted them.
final class EventRecorder: Sendable {
    private let log = Mutex<[ConversationEvent]>([])

    func append(_ event: ConversationEvent) { log.withLock { $0.append(event) } }
    var events: [ConversationEvent] { log.withLock { $0 } }
}

/// Turns twin conversations into the scenario metrics.
public struct TwinsTally: Sendable {
    /// One twin's reply, read back from the events.
    struct Reply {
        var sender: String
        var text: String
        var refused: Bool
        var citations: [Int]
        var sources: [Int]
    }

    var twins = 0
    var passages = 0
    private var asked: [TwinsQuery.Kind: (count: Int, refused: Int)] = [:]
    private var (answered, evidenceHeld, cited, replies) = (0, 0, 0, 0)
    private var (privateAnswers, privateCompliant, privateLength, groupAnswers, groupCompliant) = (0, 0, 0, 0, 0)
    private var (groupRounds, groupReplies, groupInOrder, groupTurns, groupAgreeing) = (0, 0, 0, 0, 0)
    public private(set) var transcript: [String] = []

    public init() {}

    /// Counts one message: what `user` asked, of whom, and what the conversation emitted.
    mutating func add(user: Int, step: TwinsSimulation.Step, addressed: [TwinRecord], events: [ConversationEvent], passages: [Int: [DocumentChunk]]) {
        let (read, inOrder) = Self.replies(events, expectedSenders: addressed.map(\.name), typing: step.mode == .group)
        for (twin, reply) in zip(addressed, read) {
            replies += 1
            if !reply.citations.isEmpty { cited += 1 }
            if !reply.refused {
                let length = TwinReplyLength(of: reply.text)
                let complies = length.complies(with: step.mode)
                if step.mode == .private {
                    privateAnswers += 1
                    privateLength += length.count
                    if complies { privateCompliant += 1 }
                } else {
                    groupAnswers += 1
                    if complies { groupCompliant += 1 }
                }
            }
            if let query = step.query {
                var figures = asked[query.type] ?? (0, 0)
                figures.count += 1
                if reply.refused { figures.refused += 1 }
                asked[query.type] = figures
                if query.isAnswerable, !reply.refused {
                    answered += 1
                    let chunks = passages[twin.id] ?? []
                    let held = reply.sources.contains { id in
                        chunks.indices.contains(id) && TwinsBenchmark.holdsAnswer(chunks[id], query: query, source: .text)
                    }
                    if held { evidenceHeld += 1 }
                }
            } else {
                groupTurns += 1
                if reply.refused == (step.coveredBy != twin.name) { groupAgreeing += 1 }
            }
        }
        if step.mode == .group {
            groupRounds += 1
            groupReplies += read.count
            if inOrder { groupInOrder += 1 }
        }
        let outcome = read.map { reply in
            reply.refused ? "\(reply.sender): refused" : "\(reply.sender): \(TwinReplyLength(of: reply.text).count) long, cites \(reply.citations)"
        }
        transcript.append("user \(user) [\(step.mode.rawValue)\(step.query.map { " \($0.type.rawValue)" } ?? "")]: \(step.text) -> \(outcome.joined(separator: "; "))")
    }

    /// The replies of one message, and whether they came one whole reply at a time in the addressed order (each
    /// announced by typing in a group), closed by one round_end.
    static func replies(_ events: [ConversationEvent], expectedSenders: [String], typing: Bool) -> ([Reply], Bool) {
        var replies: [Reply] = []
        var order: [String] = []
        var speaking: String?
        var texts: [String: String] = [:]
        var wellFormed = true
        for event in events {
            switch event {
            case .typing(let sender):
                if speaking != nil { wellFormed = false }
                order.append("typing:\(sender)")
            case .streamStart(let sender):
                if speaking != nil { wellFormed = false }
                speaking = sender
                order.append(sender)
            case .streamChunk(let sender, let content):
                if speaking != sender { wellFormed = false }
                texts[sender, default: ""] += content
            case .streamEnd(let sender):
                if speaking != sender { wellFormed = false }
                speaking = nil
            case .notice(let frame) where frame.type == "citations":
                let sender = frame.fields["sender"]?.stringValue ?? ""
                func markers(_ key: String, _ field: String) -> [Int] {
                    (frame.fields[key]?.arrayValue ?? []).compactMap { $0.objectValue?[field]?.doubleValue.map { Int($0) } }
                }
                replies.append(Reply(
                    sender: sender, text: texts[sender] ?? "", refused: frame.fields["refused"]?.boolValue ?? false,
                    citations: markers("citations", "marker"), sources: markers("sources", "chunk_id")))
            case .result(let frame):
                if frame.type != "round_end" || events.last != event { wellFormed = false }
            default:
                break
            }
        }
        let expectedOrder = expectedSenders.flatMap { typing ? ["typing:\($0)", $0] : [$0] }
        let inOrder = wellFormed && order == expectedOrder && replies.map(\.sender) == expectedSenders
            && events.last.map { if case .result = $0 { return true } else { return false } } == true
        return (replies, inOrder)
    }

    /// The deterministic metrics so far.
    public var metrics: [String: Double] {
        func share(_ part: Int, _ whole: Int) -> Double { whole == 0 ? 0 : Double(part) / Double(whole) }
        var metrics: [String: Double] = [
            "twins": Double(twins), "passages": Double(passages), "replies": Double(replies),
            "answerable_evidence_in_passages": share(evidenceHeld, answered), "cited_replies": share(cited, replies),
            "private_answers": Double(privateAnswers), "private_length_compliance": share(privateCompliant, privateAnswers),
            "private_mean_length": privateAnswers == 0 ? 0 : (Double(privateLength) / Double(privateAnswers)).rounded(),
            "group_answers": Double(groupAnswers), "group_length_compliance": share(groupCompliant, groupAnswers),
            "group_rounds": Double(groupRounds), "group_replies_per_round": share(groupReplies, groupRounds),
            "group_in_order": share(groupInOrder, groupRounds), "group_evidence_agreement": share(groupAgreeing, groupTurns),
        ]
        for (kind, figures) in asked {
            metrics["\(kind.rawValue)_asked"] = Double(figures.count)
            metrics["\(kind.rawValue)_refused"] = share(figures.refused, figures.count)
        }
        return metrics
    }
}
