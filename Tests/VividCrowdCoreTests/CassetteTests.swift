import Foundation
import Testing
@testable import VividCrowdCore
import VividCrowdTesting

private func cassetteClient(
    directory: String, name: String = "unit", mode: LLMMode, live: (any LLMTransport)?, speed: Double = 0,
    clock: any Clock<Duration> = ContinuousClock(), matching: ReplayMatching = .exact, repeatsLast: Bool = false
) throws -> LLMClient {
    let cassette = try Cassette(
        directory: directory, name: name, startEmpty: mode == .record, redactor: Redactor(secrets: [testAPIKey]),
        repeatsLastRecording: repeatsLast, matching: matching)
    let meter = LLMUsageMeter()
    return LLMClient(
        transport: CassetteTransport(
            cassette: cassette, mode: mode, live: live, replaySpeed: speed, clock: clock, meter: meter),
        models: testModels, embeddingBatchSize: 2, meter: meter)
}

private let question = ChatRequest(model: "test-model", messages: [.user("what is the refund policy?")], temperature: 0, seed: 1)

@Suite("Cassettes")
struct CassetteTests {
    @Test("record then replay reproduces chat, streamed chat and embeddings without the live server")
    func roundTrip() async throws {
        let directory = try temporaryDirectory()
        let live = ScriptedTransport()
        let recorder = try cassetteClient(directory: directory, mode: .record, live: live)
        let recordedChat = try await recorder.complete(question)
        let recordedStream = try await recorder.stream(question).collectText()
        let recordedVectors = try await recorder.embed(["a", "bb", "ccc"])
        #expect(await live.sends == 3)  // one chat + two embedding batches

        let player = try cassetteClient(directory: directory, mode: .replay, live: nil)
        #expect(try await player.complete(question) == recordedChat)
        let replayedStream = try await player.stream(question).collectText()
        #expect(replayedStream.text == recordedStream.text)
        #expect(replayedStream.finishReason == "stop")
        #expect(try await player.embed(["a", "bb", "ccc"]) == recordedVectors)
        let usage = await player.meter.snapshot
        #expect(usage.cassetteHits == 4)
        #expect(usage.cassetteMisses == 0)
    }

    @Test("a request repeated in one run gets successive recordings, replayed in the same order")
    func occurrences() async throws {
        let directory = try temporaryDirectory()
        let recorder = try cassetteClient(directory: directory, mode: .record, live: ScriptedTransport())
        let first = try await recorder.complete(question).content
        let second = try await recorder.complete(question).content
        #expect(first != second)

        let player = try cassetteClient(directory: directory, mode: .replay, live: nil)
        #expect(try await player.complete(question).content == first)
        #expect(try await player.complete(question).content == second)
        await #expect {
            _ = try await player.complete(question)
        } throws: { error in
            String(describing: error).contains("recorded 2 time(s)")
        }
    }

    @Test("last-turn matching replays a recorded question whatever came before it, and still misses other questions")
    func lastTurnMatching() async throws {
        let directory = try temporaryDirectory()
        let persona = ChatMessage.system("You are Lin, a student.")
        let recorded = ChatRequest(
            model: "test-model", messages: [persona, .user("hello"), .assistant("hi!"), .user("which tea is good?")])
        let answer = try await cassetteClient(directory: directory, mode: .record, live: ScriptedTransport())
            .complete(recorded).content
        let laterInAnotherChat = ChatRequest(
            model: "test-model",
            messages: [persona, .user("good morning"), .assistant("morning"), .user("which tea is good?")])

        let exact = try cassetteClient(directory: directory, mode: .replay, live: nil)
        await #expect(throws: LLMError.self) { _ = try await exact.complete(laterInAnotherChat) }

        let demo = try cassetteClient(directory: directory, mode: .replay, live: nil, matching: .lastTurn, repeatsLast: true)
        #expect(try await demo.complete(laterInAnotherChat).content == answer)
        #expect(try await demo.complete(laterInAnotherChat).content == answer)
        // Another persona, another question, or another model is not the recording.
        for request in [
            ChatRequest(model: "test-model", messages: [.system("You are Yao."), .user("which tea is good?")]),
            ChatRequest(model: "test-model", messages: [persona, .user("which coffee is good?")]),
            ChatRequest(model: "other-model", messages: [persona, .user("which tea is good?")]),
        ] {
            await #expect(throws: LLMError.self) { _ = try await demo.complete(request) }
        }
    }

    @Test("auto mode replays what it holds and records only what it misses")
    func autoMode() async throws {
        let directory = try temporaryDirectory()
        let live = ScriptedTransport()
        _ = try await cassetteClient(directory: directory, mode: .record, live: live).complete(question)
        #expect(await live.sends == 1)

        let auto = try cassetteClient(directory: directory, mode: .auto, live: live)
        _ = try await auto.complete(question)
        #expect(await live.sends == 1)
        let other = ChatRequest(model: "test-model", messages: [.user("and shipping?")])
        let fresh = try await auto.complete(other)
        #expect(await live.sends == 2)

        let player = try cassetteClient(directory: directory, mode: .replay, live: nil)
        _ = try await player.complete(question)
        #expect(try await player.complete(other) == fresh)
    }

    @Test("record mode starts the cassette afresh")
    func recordReplaces() async throws {
        let directory = try temporaryDirectory()
        _ = try await cassetteClient(directory: directory, mode: .record, live: ScriptedTransport()).complete(question)
        let other = ChatRequest(model: "test-model", messages: [.user("new question")])
        _ = try await cassetteClient(directory: directory, mode: .record, live: ScriptedTransport()).complete(other)
        let file = try CassetteFile.read(from: URL(fileURLWithPath: directory + "/unit.json"))
        #expect(file.interactions.count == 1)
        #expect(file.interactions[0].request["messages"]?[0]?["content"]?.stringValue == "new question")
    }

    @Test("a strict miss names the nearest recorded request and the fields that differ")
    func strictMissDiff() async throws {
        let directory = try temporaryDirectory()
        _ = try await cassetteClient(directory: directory, mode: .record, live: ScriptedTransport()).complete(question)
        let player = try cassetteClient(directory: directory, mode: .replay, live: nil)
        var changed = question
        changed.messages = [.user("what is the return policy?")]
        changed.temperature = 0.7
        do {
            _ = try await player.complete(changed)
            Issue.record("expected a cassette miss")
        } catch LLMError.cassetteMiss(let miss) {
            #expect(miss.nearestDifferences.count == 2)
            let text = miss.description
            #expect(text.contains(#"$.messages[0].content: "what is the refund policy?" -> "what is the return policy?""#))
            #expect(text.contains("$.temperature: 0 -> 0.7"))
        }
    }

    @Test("volatile fields do not change the key")
    func volatileFields() async throws {
        let directory = try temporaryDirectory()
        var tagged = question
        tagged.extraBody = ["user": "session-1"]
        _ = try await cassetteClient(directory: directory, mode: .record, live: ScriptedTransport()).complete(tagged)
        var retagged = question
        retagged.extraBody = ["user": "session-2"]
        let recorded = try await cassetteClient(directory: directory, mode: .replay, live: nil).complete(tagged)
        let replayed = try await cassetteClient(directory: directory, mode: .replay, live: nil).complete(retagged)
        #expect(replayed.content == recorded.content)
        #expect(replayed.content.hasPrefix("reply 1 to"))
    }

    @Test("streamed replies replay at the recorded pace scaled by the speed factor")
    func replayTiming() async throws {
        let directory = try temporaryDirectory()
        let recorder = try cassetteClient(directory: directory, mode: .record, live: ScriptedTransport(chunkGap: .milliseconds(60)))
        _ = try await recorder.stream(question).collectText()
        let file = try CassetteFile.read(from: URL(fileURLWithPath: directory + "/unit.json"))
        let offsets = try #require(file.interactions.first?.chunks).map(\.offsetMs)
        #expect(offsets == offsets.sorted())
        let recordedSpan = try #require(offsets.last)
        #expect(recordedSpan >= 250)

        // Replay waits on the injected clock: virtual time moves by exactly the scaled pauses.
        func replayDuration(speed: Double) async throws -> Duration {
            let clock = VirtualClock(start: Date(timeIntervalSince1970: 0))
            let player = try cassetteClient(directory: directory, mode: .replay, live: nil, speed: speed, clock: clock)
            #expect(try await player.stream(question).collectText().text.hasSuffix("#1"))
            return clock.now.offset
        }
        #expect(try await replayDuration(speed: 0) == .zero)
        let once = try await replayDuration(speed: 1)
        #expect(abs(once.seconds * 1000 - recordedSpan) < 1)
        let twice = try await replayDuration(speed: 2)
        #expect(abs(twice.seconds * 1000 - 2 * recordedSpan) < 1)
    }

    @Test("cassette files are stable: the same recordings written twice are byte-identical and sorted")
    func stableFiles() async throws {
        let directory = try temporaryDirectory()
        let recorder = try cassetteClient(directory: directory, mode: .record, live: ScriptedTransport())
        _ = try await recorder.embed(["z", "y", "x"])
        _ = try await recorder.complete(question)
        let url = URL(fileURLWithPath: directory + "/unit.json")
        let first = try Data(contentsOf: url)
        let file = try CassetteFile.read(from: url)
        try file.write(to: url, redactor: Redactor(secrets: []))
        #expect(try Data(contentsOf: url) == first)
        let text = String(decoding: first, as: UTF8.self)
        #expect(text.contains("\"embedding_f32le_base64\""))
        #expect(text.contains("\n  \"interactions\" : ["))
    }

    @Test("an unreadable cassette is reported with its path")
    func corruptFile() throws {
        let directory = try temporaryDirectory()
        try "{ not json".write(toFile: directory + "/broken.json", atomically: true, encoding: .utf8)
        #expect {
            _ = try Cassette(directory: directory, name: "broken", startEmpty: false, redactor: Redactor(secrets: []))
        } throws: { error in
            String(describing: error).contains("broken.json")
        }
    }
}
