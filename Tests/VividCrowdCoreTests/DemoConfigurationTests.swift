import Foundation
import Testing
import VividCrowdCore
import VividCrowdTesting

@Suite("The offline demo's configuration")
struct DemoConfigurationTests {
    /// A manifest in a temporary folder, and the path to it.
    private func manifest() throws -> String {
        let manifest = DemoManifest(
            cassette: "demo-unit", environment: ["MODEL_NAME": "recorded-model", "TWIN_PROMPT_TOKENS": "1500"],
            defaults: ["MIN_TYPING_DELAY": "1", "MAX_TYPING_DELAY": "2"],
            seed: .init(knowledgeBase: "corpora/seed/qa.csv", twins: nil, customers: nil, salesMaterials: nil),
            questions: [.customerService: ["When are you open?", "Where are you?", "How much?", "Refunds?"]])
        let path = try temporaryDirectory() + "/manifest.json"
        try JSONEncoder().encode(manifest).write(to: URL(fileURLWithPath: path))
        return path
    }

    private func load(_ variables: [String: String], allowsDemo: Bool = true) throws -> VividCrowdConfiguration {
        try VividCrowdConfiguration.load(processEnvironment: variables, dotEnvPath: "/nonexistent/.env", allowsDemo: allowsDemo)
    }

    @Test("without a key or LLM_MODE, serve replays the demo's cassette under its settings, in its own database")
    func demoWithoutKey() throws {
        let path = try manifest()
        let settings = try load(["DEMO_MANIFEST": path, "MODEL_NAME": "qwen-max", "MAX_TYPING_DELAY": "5"])
        #expect(settings.demo?.cassette == "demo-unit")
        #expect(settings.llm.mode == .replay)
        #expect(settings.llm.cassetteName == "demo-unit")
        #expect(settings.llm.replayMatching == .lastTurn)
        #expect(settings.llm.replayRepeatsLast)
        // The recording's request-shaping settings win; its defaults yield to the operator's.
        #expect(settings.llm.model == "recorded-model")
        #expect(settings.twins.promptTokens == 1500)
        #expect(settings.groupChat.minTypingDelay == 1)
        #expect(settings.groupChat.maxTypingDelay == 5)
        #expect(settings.storage.databasePath == "./data/demo")
        #expect(try load(["DEMO_MANIFEST": path, "DATABASE_PATH": "/srv/vc"]).storage.databasePath == "/srv/vc")
    }

    @Test("a key, LLM_MODE or DEMO=off runs as configured; DEMO=on runs the demo even with a key; only serve asks")
    func switches() throws {
        let path = try manifest()
        for variables in [
            ["DASHSCOPE_API_KEY": testAPIKey], ["LLM_MODE": "live"], ["LLM_MODE": "replay"], ["DEMO": "off"],
        ] {
            let settings = try load(variables.merging(["DEMO_MANIFEST": path]) { a, _ in a })
            #expect(settings.demo == nil, "\(variables.keys.sorted())")
            #expect(settings.llm.replayMatching == .exact)
        }
        let forced = try load(["DEMO": "on", "DASHSCOPE_API_KEY": testAPIKey, "DEMO_MANIFEST": path])
        #expect(forced.demo != nil && forced.llm.mode == .replay)
        #expect(try load(["DEMO_MANIFEST": path], allowsDemo: false).demo == nil)
        #expect(throws: ConfigurationError.self) { _ = try load(["DEMO": "maybe", "DEMO_MANIFEST": path]) }
    }

    @Test("a missing manifest is an error naming DEMO_MANIFEST and how to go live")
    func missingManifest() throws {
        #expect {
            _ = try load(["DEMO_MANIFEST": "/nonexistent/manifest.json"])
        } throws: { error in
            let text = String(describing: error)
            return text.contains("DEMO_MANIFEST") && text.contains("DASHSCOPE_API_KEY")
        }
    }

    @Test("a message the demo holds no reply for is answered with three recorded ones to try and how to go live")
    func notRecordedMessage() throws {
        let manifest = try DemoManifest.load(path: try manifest())
        let message = manifest.notRecordedMessage(for: .customerService)
        #expect(message.contains("“When are you open?”") && message.contains("“How much?”"))
        #expect(!message.contains("Refunds?"))
        #expect(message.contains("DASHSCOPE_API_KEY"))
        #expect(!manifest.notRecordedMessage(for: .twins).contains("Try"))
    }

    @Test("the shipped manifest names files that exist, a cassette that exists, and questions for all four modes")
    func shippedManifest() throws {
        let root = repositoryRoot.path
        let manifest = try DemoManifest.load(path: root + "/" + DemoManifest.defaultPath)
        let seeds = [manifest.seed.knowledgeBase, manifest.seed.twins, manifest.seed.customers].compactMap { $0 }
            + (manifest.seed.salesMaterials ?? [])
        for path in seeds + ["corpora/cassettes/\(manifest.cassette).json"] {
            #expect(FileManager.default.fileExists(atPath: root + "/" + path), "\(path)")
        }
        for mode in DemoManifest.Mode.allCases { #expect(!(manifest.questions[mode] ?? []).isEmpty, "\(mode)") }
        // Every request-shaping setting must be one the configuration reads.
        let read = Set(try VividCrowdConfiguration(environment: [:]).summary.map(\.0))
        for key in manifest.environment.keys.sorted() + manifest.defaults.keys.sorted() { #expect(read.contains(key), "\(key)") }
    }
}
