import Foundation
import Testing
@testable import VividCrowdCore
import VividCrowdTesting

@Suite("Handoff rules")
struct HandoffDetectorTests {
    let detector = HandoffDetector()

    @Test("explicit requests and dissatisfaction hand off, in Chinese and English, any case or width", arguments: [
        ("我要转人工", HandoffReason.explicitRequest), ("能找真人吗", .explicitRequest), ("客服在吗？", .explicitRequest),
        ("人工", .explicitRequest), ("Can I talk to a HUMAN please", .explicitRequest),
        ("ｔｒａｎｓｆｅｒ ｍｅ to an agent", .explicitRequest), ("I want a real person", .explicitRequest),
        ("我要投诉你们", .dissatisfaction), ("我要退款", .dissatisfaction), ("对结果很不满意", .dissatisfaction),
        ("服务太差了", .dissatisfaction), ("This is terrible", .dissatisfaction), ("I want a refund now", .dissatisfaction),
        ("I have a complaint", .dissatisfaction), ("不用管我，我要投诉", .dissatisfaction),
    ])
    func handsOff(message: String, reason: HandoffReason) {
        #expect(detector.decide(message)?.reason == reason, "\(message)")
    }

    @Test("negated requests and ordinary questions do not", arguments: [
        "不要人工", "不用转人工，我自己看看", "我不需要人工客服", "别转人工", "无需真人", "no need for a human",
        "I don't need an agent", "I do not want a human, just tell me", "人工智能能做检测吗？", "孩子睡眠太差了",
        "How do I transfer money to my savings account?", "What is the refund policy for cards?",
        "孩子一天可以吃几个水果？", "There is no complaint", "humanity", "agenda for tomorrow",
    ])
    func staysWithTheBot(message: String) {
        #expect(detector.decide(message) == nil, "\(message)")
    }
}

/// An in-memory embedding transport that can be told to fail, counting the texts it embedded.
actor SwitchableEmbeddings: LLMTransport {
    var failing = false
    private(set) var embedded = 0

    func fail(_ value: Bool) { failing = value }

    func send(_ endpoint: LLMEndpoint, body: JSONValue) async throws -> JSONValue {
        if failing { throw LLMError.timeout(seconds: 1) }
        let inputs = body["input"]?.arrayValue?.compactMap(\.stringValue) ?? []
        embedded += inputs.count
        return OpenAIFixtures.embeddings(inputs)
    }

    nonisolated func stream(_ endpoint: LLMEndpoint, body: JSONValue) async throws -> AsyncThrowingStream<StreamPayload, any Error> {
        throw LLMError.malformedResponse("no chat here")
    }
}

@Suite("Knowledge-base import")
struct KnowledgeBaseImporterTests {
    let header = "question_count,topic_name,typical_question,standard_script,risk_notes\n"

    func makeDesk(_ transport: SwitchableEmbeddings) throws -> CustomerServiceDesk {
        let client = LLMClient(transport: transport, models: testModels, embeddingBatchSize: 4)
        let settings = try VividCrowdConfiguration(environment: [:])
        return try CustomerServiceDesk.make(
            store: InMemoryStore(), llm: client, configuration: settings, corpora: repositoryRoot.appendingPathComponent("corpora"))
    }

    @Test("a failure while embedding leaves the previous knowledge base intact and the registry unchanged")
    func failedImportKeepsPreviousRows() async throws {
        let transport = SwitchableEmbeddings()
        let desk = try makeDesk(transport)
        let v1 = header + "1,Hours,When are you open?,9 to 5.,\n2,Parking,Where do I park?,Garage on Elm Street.,\n"
        let first = try await desk.importKnowledgeBase(Data(v1.utf8), fileName: "kb.csv")
        #expect(first.status == .imported)
        await transport.fail(true)
        let v2 = v1 + "1,Returns,How do I return something?,Within 30 days.,\n"
        await #expect(throws: LLMError.self) { try await desk.importKnowledgeBase(Data(v2.utf8), fileName: "kb.csv") }
        #expect(try await desk.entryCount() == 2)
        #expect(try await desk.store.registryRecord(fileName: "kb.csv")?.md5 == KnowledgeBaseImporter.md5(Data(v1.utf8)))
        // The failed version was not recorded, so importing it again really imports it.
        await transport.fail(false)
        let retried = try await desk.importKnowledgeBase(Data(v2.utf8), fileName: "kb.csv")
        #expect(retried.status == .replaced)
        #expect(try await desk.entryCount() == 3)
    }

    @Test("vectors are cached: a re-import of changed rows embeds only the new phrasings")
    func embedsEachTextOnce() async throws {
        let transport = SwitchableEmbeddings()
        let desk = try makeDesk(transport)
        let v1 = header + "1,Hours,When are you open?,9 to 5.,\n"
        _ = try await desk.importKnowledgeBase(Data(v1.utf8), fileName: "kb.csv")
        #expect(await transport.embedded == 1)
        _ = try await desk.importKnowledgeBase(Data((v1 + "1,Parking,Where do I park?,Elm Street.,\n").utf8), fileName: "kb.csv")
        #expect(await transport.embedded == 2)
    }

    @Test("GB18030 files import, multi-line questions become phrasings, and file names are reduced to their last part")
    func encodingsAndPhrasings() async throws {
        let desk = try makeDesk(SwitchableEmbeddings())
        let text = header + "5,退款政策,\"怎么退款？\n可以退货吗？\",七天内可退。,需保留小票\n"
        let encoded = try #require(TextDecoding.encode(text, as: "GB18030"))
        let outcome = try await desk.importKnowledgeBase(encoded, fileName: "../uploads\\政策.csv")
        #expect(outcome.encoding == "GB18030")
        #expect(outcome.fileName == "政策.csv")
        let stored = try await desk.store.knowledgeEntries()
        #expect(stored.first?.entry.phrasings == ["怎么退款？", "可以退货吗？"])
        #expect(stored.first?.keywords.isEmpty == false)
    }

    @Test("ratings outside 1–5 and unknown sessions are refused")
    func ratings() async throws {
        let desk = try makeDesk(SwitchableEmbeddings())
        let session = try await desk.createSession()
        for bad in [0, 6, -1] {
            await #expect(throws: CustomerServiceError.invalidRating(bad)) { try await desk.rate(session.id, rating: bad) }
        }
        await #expect(throws: CustomerServiceError.unknownSession("missing")) { try await desk.rate("missing", rating: 3) }
        #expect(try await desk.rate(session.id, rating: 3).rating == 3)
    }
}

@Suite("Replay of repeated requests")
struct ReplayRepeatTests {
    @Test("REPLAY_REPEAT=last serves the last recording again; the default treats the extra call as a miss")
    func repeats() async throws {
        let directory = try temporaryDirectory()
        let request = ChatRequest(model: "test-model", messages: [.user("hello")], temperature: 0)
        // Record one interaction through a cassette transport over a scripted server.
        let cassette = try Cassette(directory: directory, name: "default", startEmpty: true, redactor: Redactor(secrets: []))
        let live = ScriptedTransport()
        let writer = LLMClient(transport: CassetteTransport(cassette: cassette, mode: .record, live: live), models: testModels)
        let recorded = try await writer.complete(request)

        for (setting, secondSucceeds) in [("last", true), ("error", false)] {
            let player = try LLMClient.make(configuration: VividCrowdConfiguration(environment: [
                "LLM_MODE": "replay", "CASSETTE_DIR": directory, "REPLAY_REPEAT": setting,
            ]))
            #expect(try await player.complete(request).content == recorded.content)
            if secondSucceeds {
                #expect(try await player.complete(request).content == recorded.content)
            } else {
                await #expect(throws: LLMError.self) { try await player.complete(request) }
            }
            try await player.shutdown()
        }
        #expect(throws: ConfigurationError.self) {
            try VividCrowdConfiguration(environment: ["REPLAY_REPEAT": "sometimes"])
        }
    }
}

@Suite("Questions asked as written")
struct VerbatimQuestionTests {
    static let questions = [
        "When are you open?", "Where do I park?", "How do I reset my password?", "Can I pay by card?", "Do you deliver?",
        "营业时间是几点？", "孩子发烧怎么办？", "Is there a student discount?", "How long does shipping take?",
        "Can I change my order?", "退款多久到账？", "Do you have gift cards?", "Where is my parcel?", "Can I bring my dog?",
        "What is your phone number?", "Is Wi-Fi free?", "How do I cancel?", "Are you open on Sundays?",
        "可以开发票吗？", "Do you ship abroad?",
    ]

    @Test("every typical question of a small knowledge base, asked as written or with other case, width and punctuation, gets its own topic at high confidence",
          arguments: [2, 3, 5, 10, 20])
    func smallKnowledgeBases(rows: Int) async throws {
        let client = LLMClient(transport: SwitchableEmbeddings(), models: testModels, embeddingBatchSize: 8)
        let desk = try CustomerServiceDesk.make(
            store: InMemoryStore(), llm: client, configuration: try VividCrowdConfiguration(environment: [:]),
            corpora: repositoryRoot.appendingPathComponent("corpora"))
        var csv = "question_count,topic_name,typical_question,standard_script,risk_notes\n"
        for (row, question) in Self.questions.prefix(rows).enumerated() {
            csv += "1,topic \(row),\"\(question)\",script \(row),\n"
        }
        _ = try await desk.importKnowledgeBase(Data(csv.utf8), fileName: "small.csv")
        for (row, question) in Self.questions.prefix(rows).enumerated() {
            let variants = [question, question.uppercased(), "  " + question.replacingOccurrences(of: "?", with: "") + " !",
                            question.applyingTransform(.fullwidthToHalfwidth, reverse: true) ?? question]
            for variant in variants {
                let match = try await desk.matcher.match(variant)
                #expect(match.band == .high && match.confidence == 1, "\(rows) rows, \(variant): \(match.band) \(match.confidence)")
                #expect(match.entry?.entry.topicName == "topic \(row)", "\(rows) rows, \(variant)")
            }
        }
        // A question that only shares words with a typical one is still ranked, not promoted.
        let near = try await desk.matcher.match("When are you open on holidays?")
        #expect(near.confidence < 1)
    }

    @Test("a phrasing two topics share is not promoted to either")
    func sharedPhrasing() {
        let units = [
            RetrievalUnit(text: "How do I pay?", group: "cards", provenance: Provenance(source: "", record: 0, row: 2)),
            RetrievalUnit(text: "how do i pay", group: "cash", provenance: Provenance(source: "", record: 1, row: 3)),
            RetrievalUnit(text: "HOW DO I PAY", group: "cards", provenance: Provenance(source: "", record: 0, row: 2)),
            RetrievalUnit(text: "Where is it?", group: "map", provenance: Provenance(source: "", record: 2, row: 4)),
        ]
        let lookup = VerbatimLookup(units: units)
        #expect(lookup.unit(for: "how do I pay?") == nil)
        #expect(lookup.unit(for: "where is it") == 3)
        #expect(lookup.unit(for: "?!") == nil)
        #expect(VerbatimLookup.key("Ｗｈｅｒｅ  is it？") == "whereisit")
    }
}
