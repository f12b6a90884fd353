import ArgumentParser
import Foundation
import VividCrowdCore
import VividCrowdEvaluation

@main
struct VividCrowdSimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vividcrowd-sim",
        abstract: "Drive synthetic users through VividCrowd and report what happened.",
        discussion: """
            LLM calls follow LLM_MODE: replay answers from cassettes in CASSETTE_DIR (offline, deterministic),
            record/auto call the configured server and write cassettes, live calls without recording.
            """,
        subcommands: [RunScenarios.self, CheckScenarios.self, LoadCommand.self, LLMSmoke.self])
}

/// Runs the LLM smoke scenario and writes its transcript.
struct LLMSmoke: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "llm-smoke",
        abstract: "Two streamed chats, one JSON reply and an embedding batch through the configured LLM client.",
        discussion: """
            Record against the local model servers:
              eval "$(scripts/local-models.sh env)"; LLM_MODE=record vividcrowd-sim llm-smoke --local-server
            Replay offline:
              LLM_MODE=replay vividcrowd-sim llm-smoke
            """)

    @Option(help: "The cassette to record to or replay from (in CASSETTE_DIR).")
    var cassette = "llm-smoke"

    @Flag(help: "Send llama.cpp's JSON-schema extension, as LLM_LOCAL_SCHEMA=on does (only for local servers).")
    var localServer = false

    @Option(help: "Write the transcript as JSON to this file.")
    var output: String?

    func run() async throws {
        var settings = try VividCrowdConfiguration.load()
        if localServer { settings.llm.localSchema = true }
        LoggingSetup.bootstrap(settings)
        let client = try LLMClient.make(configuration: settings, cassetteName: cassette)
        let transcript: LLMSmokeScenario.Transcript
        do {
            transcript = try await LLMSmokeScenario(client: client).run()
            try await client.shutdown()
        } catch {
            try? await client.shutdown()
            throw error
        }
        for turn in transcript.turns {
            let timing = turn.ttftMs.map { String(format: "first token %.0f ms, ", $0) } ?? ""
            print("> \(turn.prompt)\n< \(turn.reply)\n  (\(timing)total \(String(format: "%.0f", turn.totalMs)) ms)")
        }
        print("embedded \(transcript.embeddedTexts.count) texts, dimension \(Int(transcript.embeddingFingerprints.first?.first ?? 0))")
        let usage = await client.meter.snapshot
        print("cassette hits \(usage.cassetteHits), misses \(usage.cassetteMisses), tokens \(usage.promptTokens)+\(usage.completionTokens)")
        if let output {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try encoder.encode(transcript).write(to: URL(fileURLWithPath: output))
        }
    }
}
