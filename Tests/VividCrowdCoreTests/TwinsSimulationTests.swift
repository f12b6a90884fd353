import Foundation
import Testing
@testable import VividCrowdEvaluation
import VividCrowdCore
import VividCrowdTesting

@Suite struct TwinReplyLengthTests {
    @Test func chineseRepliesCountHanCharactersAndIgnoreCitationMarkers() {
        let length = TwinReplyLength(of: "阿司匹林会引起胃部不适[1]，严重时会胃出血[2]。")
        #expect(length.chinese)
        #expect(length.count == 18)
    }

    @Test func otherRepliesCountWordsWithContractionsAndHyphensAsOne() {
        let length = TwinReplyLength(of: "It's a low-dose drug [2], taken daily in 2020.")
        #expect(!length.chinese)
        #expect(length.count == 8)
    }

    @Test func aChineseTwinAnsweringInEnglishIsHeldToTheEnglishRule() {
        let length = TwinReplyLength(of: "Aspirin (阿司匹林) thins the blood and eases pain in most adults who take it.")
        #expect(!length.chinese)
        #expect(length.count == 13)
    }

    @Test func boundsFollowTheModeAndTheLanguage() {
        let words = { (count: Int) in TwinReplyLength(of: Array(repeating: "word", count: count).joined(separator: " ")) }
        #expect(!words(99).complies(with: .private))
        #expect(words(100).complies(with: .private))
        #expect(words(200).complies(with: .private))
        #expect(!words(201).complies(with: .private))
        #expect(words(49).complies(with: .group))
        #expect(!words(50).complies(with: .group))
        let han = { (count: Int) in TwinReplyLength(of: String(repeating: "字", count: count)) }
        #expect(!han(149).complies(with: .private))
        #expect(han(150).complies(with: .private))
        #expect(han(80).complies(with: .group))
        #expect(!han(81).complies(with: .group))
        #expect(!TwinReplyLength(of: "").complies(with: .group))
    }

    @Test func thePromptAsksForTheLengthThatIsMeasured() {
        let chunk = DocumentChunk(index: 0, text: "Aspirin eases pain.", pages: 1...1, characters: 0..<19, overlap: 0)
        let english = TwinPrompts.answerMessages(
            systemPrompt: "", passages: [chunk], question: "q", history: [], mode: .private, chinese: false).last?.content ?? ""
        let chinese = TwinPrompts.answerMessages(
            systemPrompt: "", passages: [chunk], question: "q", history: [], mode: .group, chinese: true).last?.content ?? ""
        #expect(english.contains("100 to 200 words"))
        #expect(chinese.contains("不超过 80 个汉字"))
    }
}

@Suite struct TwinsTallyTests {
    private func citations(_ sender: String, refused: Bool, markers: [Int] = [], sources: [Int] = []) -> ConversationEvent {
        .notice(ConversationFrame(type: "citations", fields: [
            "sender": .string(sender), "refused": .bool(refused),
            "citations": .array(markers.map { .object(["marker": .number(Double($0))]) }),
            "sources": .array(sources.map { .object(["chunk_id": .number(Double($0))]) }),
        ]))
    }

    private func turn(_ sender: String, _ text: String, refused: Bool = false, markers: [Int] = []) -> [ConversationEvent] {
        [.typing(sender: sender), .streamStart(sender: sender), .streamChunk(sender: sender, content: text),
         .streamEnd(sender: sender), citations(sender, refused: refused, markers: markers, sources: [0])]
    }

    @Test func aGroupRoundSpokenOneTwinAtATimeInOrderIsReadBack() {
        let events = turn("A", "first", markers: [1]) + turn("B", "second", refused: true) + [.result(ConversationFrame(type: "round_end"))]
        let (replies, inOrder) = TwinsTally.replies(events, expectedSenders: ["A", "B"], typing: true)
        #expect(inOrder)
        #expect(replies.map(\.text) == ["first", "second"])
        #expect(replies.map(\.refused) == [false, true])
        #expect(replies.map(\.citations) == [[1], []])
    }

    @Test func interleavedRepliesAWrongOrderOrAMissingRoundEndAreNotInOrder() {
        let end = ConversationEvent.result(ConversationFrame(type: "round_end"))
        let a = turn("A", "first")
        let b = turn("B", "second")
        let interleaved = [a[0], a[1], b[0], b[1]] + Array(a[2...]) + Array(b[2...]) + [end]
        #expect(!TwinsTally.replies(interleaved, expectedSenders: ["A", "B"], typing: true).1)
        #expect(!TwinsTally.replies(b + a + [end], expectedSenders: ["A", "B"], typing: true).1)
        #expect(!TwinsTally.replies(a + b, expectedSenders: ["A", "B"], typing: true).1)
        #expect(!TwinsTally.replies(Array(a.dropFirst()) + Array(b.dropFirst()) + [end], expectedSenders: ["A", "B"], typing: true).1)
        #expect(TwinsTally.replies(Array(a.dropFirst()) + [end], expectedSenders: ["A"], typing: false).1)
    }

    @Test func aScenarioSeedDrawsTheSameScriptsAndEveryStepIsOfItsUsersDocument() throws {
        let scenario = try Scenario.load(repositoryRoot.appendingPathComponent("corpora/scenarios/tw-dev.json"))
        let simulation = TwinsSimulation(
            scenario: scenario, corpora: repositoryRoot.appendingPathComponent("corpora"), settings: try VividCrowdConfiguration(environment: [:]),
            pdf: UnreadablePDF())
        let material = try simulation.material()
        let first = TwinsSimulation.population(scenario, material: material)
        let second = TwinsSimulation.population(scenario, material: material)
        #expect(first.map { $0.map(\.text) } == second.map { $0.map(\.text) })
        #expect(first.count == scenario.users)
        let steps = first.flatMap { $0 }
        #expect(steps.contains { $0.mode == .group })
        #expect(steps.contains { $0.query?.isAnswerable == false })
        for (user, script) in first.enumerated() {
            for step in script where step.mode == .private {
                #expect(step.document == material.suite.documents[user % material.suite.documents.count])
                #expect(step.query?.doc == step.document)
            }
        }
    }
}

private struct UnreadablePDF: PDFTextReader {
    func pages(of data: Data, limits: DocumentLimits) throws -> [String] { throw DocumentError.empty }
}
