import Foundation
import Testing
import VividCrowdCore
import VividCrowdTesting

/// Answers profile calls from a script, embeds deterministically and streams a fixed answer; counts each kind.
private actor TwinTransport: LLMTransport {
    var profileReplies: [String]
    let answer: [String]
    private(set) var profileCalls = 0
    private(set) var streams = 0
    private(set) var lastPrompt = ""

    init(profileReplies: [String], answer: [String]) {
        self.profileReplies = profileReplies
        self.answer = answer
    }

    func send(_ endpoint: LLMEndpoint, body: JSONValue) async throws -> JSONValue {
        switch endpoint {
        case .embeddings:
            return OpenAIFixtures.embeddings(body["input"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        case .chatCompletions:
            profileCalls += 1
            let reply = profileReplies.isEmpty ? "{}" : profileReplies.removeFirst()
            return OpenAIFixtures.completion(reply)
        default:
            throw LLMError.badRequest(status: 404, message: "not served here")
        }
    }

    nonisolated func stream(_ endpoint: LLMEndpoint, body: JSONValue) async throws -> AsyncThrowingStream<StreamPayload, any Error> {
        let pieces = await recordStream(body)
        let payloads = pieces.map { OpenAIFixtures.chunk($0) } + [OpenAIFixtures.chunk(nil, finish: "stop"), "data: [DONE]\n\n"]
        return AsyncThrowingStream { continuation in
            for payload in payloads { continuation.yield(StreamPayload(data: String(payload.dropFirst(6).dropLast(2)), offset: .zero)) }
            continuation.finish()
        }
    }

    private func recordStream(_ body: JSONValue) -> [String] {
        streams += 1
        lastPrompt = body["messages"]?.arrayValue?.last?["content"]?.stringValue ?? ""
        return answer
    }
}

/// A PDF reader for tests that upload text only.
private struct NoPDFReader: PDFTextReader {
    func pages(of data: Data, limits: DocumentLimits) throws -> [String] { throw DocumentError.corrupt }
}

private let aspirinText = """
    Aspirin

    Aspirin was first synthesised by Felix Hoffmann at Bayer in 1897, from salicylic acid.

    Low doses of aspirin reduce the risk of heart attacks and strokes in some patients.

    Reye's syndrome is a rare but serious illness in children and teenagers given aspirin during a viral infection.
    """

private let validProfile = #"{"name": "Aspirin lessons", "instructor": null, "core_concepts": ["salicylates"], "knowledge_points": ["dosage", "  "]}"#

private func makeLibrary(
    _ transport: TwinTransport, store: any TwinStore = InMemoryTwinStore()
) -> TwinLibrary {
    let client = LLMClient(transport: transport, models: testModels)
    return TwinLibrary(
        store: store, client: client, reader: DocumentReader(pdf: NoPDFReader()),
        tokenizer: SearchTokenizer(segmenter: sharedSegmenter), chunker: DocumentChunker(target: 30, maximum: 60),
        now: { Date(timeIntervalSince1970: 1_790_000_000) })
}

@Suite struct TwinLibraryTests {
    @Test func aDocumentBecomesATwinOnceAndTheUploadedNameWins() async throws {
        let transport = TwinTransport(profileReplies: ["not json", validProfile], answer: [])
        let library = makeLibrary(transport)
        let upload = TwinUpload(data: Data(aspirinText.utf8), fileName: "aspirin.txt", sourceType: .topic, name: " Dr. Aspirin ")
        let (twin, created) = try await library.create(upload)
        #expect(created)
        #expect(twin.name == "Dr. Aspirin" && twin.profile.name == "Dr. Aspirin")
        #expect(twin.profile.coreConcepts == ["salicylates"] && twin.profile.knowledgePoints == ["dosage"])
        #expect(twin.systemPrompt.contains("Dr. Aspirin") && twin.systemPrompt.contains("salicylates"))
        #expect(twin.language == "en" && twin.format == .text && twin.chunkCount >= 3)
        #expect(await transport.profileCalls == 2)
        #expect(try await library.store.chunkVectors(twinID: twin.id, embeddingModel: testModels.embedding)?.count == twin.chunkCount)

        let again = try await library.create(TwinUpload(data: Data(aspirinText.utf8), fileName: "copy.txt", sourceType: .book, name: nil))
        #expect(!again.created && again.twin == twin)
        #expect(await transport.profileCalls == 2)
    }

    @Test func aProfileThatNeverValidatesStoresNothing() async throws {
        let transport = TwinTransport(profileReplies: ["{}", "[1]", #"{"name": ""}"#], answer: [])
        let library = makeLibrary(transport)
        await #expect(throws: TwinError.profileFailed) {
            try await library.create(TwinUpload(data: Data(aspirinText.utf8), fileName: "a.txt", sourceType: .topic, name: nil))
        }
        #expect(await transport.profileCalls == 3)
        #expect(try await library.twins().isEmpty)
    }

    @Test func badDocumentsAreRefusedBeforeAnyCall() async throws {
        let transport = TwinTransport(profileReplies: [validProfile], answer: [])
        let library = makeLibrary(transport)
        await #expect(throws: DocumentError.empty) {
            try await library.create(TwinUpload(data: Data(" \n\n ".utf8), fileName: "blank.txt", sourceType: .topic, name: nil))
        }
        await #expect(throws: DocumentError.self) {
            try await library.create(TwinUpload(data: Data("x".utf8), fileName: "sheet.xlsx", sourceType: .topic, name: nil))
        }
        await #expect(throws: TwinError.invalidName) {
            try await library.create(TwinUpload(data: Data(aspirinText.utf8), fileName: "a.txt", sourceType: .topic, name: String(repeating: "n", count: 201)))
        }
        #expect(await transport.profileCalls == 0)
        #expect(try await library.twins().isEmpty)
    }

    @Test func answersCiteOnlyPassagesTheyWereGiven() async throws {
        let transport = TwinTransport(profileReplies: [validProfile], answer: ["Felix Hoffmann made it at Bayer ", "[1]", ", not in 1066 [9]."])
        let library = makeLibrary(transport)
        let (twin, _) = try await library.create(TwinUpload(data: Data(aspirinText.utf8), fileName: "a.txt", sourceType: .topic, name: nil))
        let streamed = StreamedText()
        let answer = try await library.answer(
            "Who synthesised aspirin at Bayer?", twin: twin, history: [], mode: .private, onText: { await streamed.append($0) })
        #expect(!answer.refused)
        #expect(await streamed.text == answer.text)
        #expect(answer.citations.map(\.marker) == [1])
        let citation = try #require(answer.citations.first)
        #expect(citation.twinID == twin.id && citation.page == 1)
        #expect(citation.snippet.contains("Hoffmann"))
        #expect(!answer.sources.isEmpty && answer.sources.map(\.marker) == Array(1...answer.sources.count))
        #expect(answer.sources.first == citation)
        let prompt = await transport.lastPrompt
        #expect(prompt.contains("[1]") && prompt.contains("Who synthesised aspirin at Bayer?") && prompt.contains("100 to 200 words"))
    }

    @Test func aQuestionTheDocumentDoesNotCoverIsRefusedInCharacterWithoutACall() async throws {
        let transport = TwinTransport(profileReplies: [validProfile], answer: ["invented [1]"])
        let library = makeLibrary(transport)
        let (twin, _) = try await library.create(TwinUpload(data: Data(aspirinText.utf8), fileName: "a.txt", sourceType: .topic, name: nil))
        let answer = try await library.answer(
            "Which volcano erupted in Iceland last winter?", twin: twin, history: [], mode: .group, onText: { _ in })
        #expect(answer.refused && answer.citations.isEmpty && answer.sources.isEmpty)
        #expect(answer.text == TwinPrompts.refusal(name: twin.name, type: .topic, chinese: false))
        #expect(await transport.streams == 0)
    }

    @Test func editingTheNameRegeneratesThePromptAndAnExplicitPromptWins() async throws {
        let transport = TwinTransport(profileReplies: [validProfile], answer: [])
        let library = makeLibrary(transport)
        let (twin, _) = try await library.create(TwinUpload(data: Data(aspirinText.utf8), fileName: "a.txt", sourceType: .topic, name: nil))
        let renamed = try await library.update(id: twin.id, name: "Pharmacology 101", profile: nil, systemPrompt: nil)
        #expect(renamed.name == "Pharmacology 101" && renamed.profile.name == "Pharmacology 101")
        #expect(renamed.systemPrompt.contains("Pharmacology 101"))
        let prompted = try await library.update(id: twin.id, name: nil, profile: nil, systemPrompt: "Speak like a pharmacist.")
        #expect(prompted.systemPrompt == "Speak like a pharmacist." && prompted.name == "Pharmacology 101")
        await #expect(throws: TwinError.invalidName) { try await library.update(id: twin.id, name: "  ", profile: nil, systemPrompt: nil) }
        var profile = prompted.profile
        profile.name = "Salicylates"
        profile.coreConcepts = ["acetylation"]
        let reprofiled = try await library.update(id: twin.id, name: nil, profile: profile, systemPrompt: nil)
        #expect(reprofiled.name == "Salicylates" && reprofiled.profile.name == "Salicylates")
        #expect(reprofiled.systemPrompt.contains("acetylation"))
        profile.birthYear = 3_000
        await #expect(throws: TwinError.self) { try await library.update(id: twin.id, name: nil, profile: profile, systemPrompt: nil) }
        try await library.delete(id: twin.id)
        await #expect(throws: TwinError.notFound(twin.id)) { try await library.twin(id: twin.id) }
        await #expect(throws: TwinError.notFound(twin.id)) { try await library.delete(id: twin.id) }
    }

    @Test func citationMarkersAreReadInEveryBracketStyle() {
        #expect(CitationExtractor.markers(in: "a [1] b【2】c［3］d [1, 4] e [2，5]") == [1, 2, 3, 4, 5])
        #expect(CitationExtractor.markers(in: "no markers, [x] or [] here").isEmpty)
        let long = DocumentChunk(index: 3, text: String(repeating: "word ", count: 100), pages: 2...3, characters: 100..<600, overlap: 0)
        let citations = CitationExtractor.citations(in: "see [1] and [2]", passages: [long], pageStarts: [0, 50, 400])
        #expect(citations.count == 1)
        #expect(citations[0].snippet.count <= Citation.snippetLimit && citations[0].pages == [2, 3])
    }

    @Test func longDocumentsAreSampledWithinTheProfileBudget() {
        let text = String(repeating: "a", count: 10_000) + String(repeating: "m", count: 10_000) + String(repeating: "z", count: 10_000)
        let sample = TwinLibrary.sample(text, budget: 3_000)
        #expect(sample.count <= 3_000 + 10)
        #expect(sample.hasPrefix("a") && sample.contains("m") && sample.hasSuffix("z"))
        #expect(TwinLibrary.sample("short", budget: 3_000) == "short")
        #expect(TwinLibrary.estimatedTokens("阿司匹林") == 6 && TwinLibrary.estimatedTokens("four word text here") == 5)
    }
}

/// Collects streamed text across tasks.
private actor StreamedText {
    private(set) var text = ""
    func append(_ piece: String) { text += piece }
}

@Suite struct TwinFrameTests {
    @Test func framesNameTwinsAndAMode() throws {
        let one = try TwinConversation.input(fromFrame: #"{"message": " 你好 ", "celebrity_ids": [3]}"#)
        #expect(one == TwinChatMessage(text: "你好", twinIDs: [3], mode: .private))
        let group = try TwinConversation.input(fromFrame: #"{"message": "hi", "celebrity_ids": [1, "2", 1], "mode": "group"}"#)
        #expect(group == TwinChatMessage(text: "hi", twinIDs: [1, 2], mode: .group))
        #expect(try TwinConversation.input(fromFrame: #"{"message": "hi", "celebrity_ids": [1, 2]}"#).mode == .group)
    }

    @Test func badFramesSayWhatIsWrong() {
        let cases: [(String, String)] = [
            ("plain text", "bad_json"),
            (#"{"message": "hi", "celebrity_ids": [1], "mood": "x"}"#, "unknown_field"),
            (#"{"message": 5, "celebrity_ids": [1]}"#, "bad_message"),
            (#"{"message": "hi"}"#, "bad_celebrity_ids"),
            (#"{"message": "hi", "celebrity_ids": []}"#, "bad_celebrity_ids"),
            (#"{"message": "hi", "celebrity_ids": [0]}"#, "bad_celebrity_ids"),
            (#"{"message": "hi", "celebrity_ids": [1.5]}"#, "bad_celebrity_ids"),
            (#"{"message": "hi", "celebrity_ids": [1e300]}"#, "bad_celebrity_ids"),
            (#"{"message": "hi", "celebrity_ids": [1, 2], "mode": "private"}"#, "bad_mode"),
            (#"{"message": "hi", "celebrity_ids": [1], "mode": "solo"}"#, "bad_mode"),
            (#"{"message": "hi", "celebrity_ids": [1, 2, 3, 4, 5, 6, 7], "mode": "group"}"#, "bad_celebrity_ids"),
        ]
        for (frame, code) in cases {
            do {
                _ = try TwinConversation.input(fromFrame: frame)
                Issue.record("\(frame) was accepted")
            } catch let rejection as FrameRejection {
                #expect(rejection.code == code, "\(frame)")
            } catch {
                Issue.record("\(frame): \(error)")
            }
        }
        #expect(throws: MessageError.empty) { try TwinConversation.input(fromFrame: #"{"message": "  ", "celebrity_ids": [1]}"#) }
    }
}
