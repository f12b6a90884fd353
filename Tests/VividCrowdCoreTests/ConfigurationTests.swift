import Foundation
import Testing
import VividCrowdCore
import VividCrowdTesting

@Suite("Configuration")
struct ConfigurationTests {
    @Test("defaults match the original system's names and values")
    func defaults() throws {
        let configuration = try VividCrowdConfiguration(environment: [:])
        #expect(configuration.llm.baseURL.absoluteString == VividCrowdConfiguration.dashScopeBaseURL)
        #expect(configuration.llm.embeddingBaseURL == configuration.llm.baseURL)
        #expect(configuration.llm.model == "qwen-max")
        #expect(configuration.llm.routerModel == "qwen-turbo")
        #expect(configuration.llm.evaluationModel == "qwen-plus")
        #expect(configuration.llm.embeddingModel == "text-embedding-v2")
        #expect(configuration.llm.embeddingBatchSize == 25)
        #expect(configuration.llm.maxConcurrency == 10)
        #expect(configuration.llm.mode == .live)
        #expect(configuration.server.host == "127.0.0.1")
        #expect(configuration.server.port == 8000)
        #expect(configuration.storage.databasePath == "./data")
        #expect(configuration.groupChat.maxAgentsPerRound == 3)
        #expect(configuration.groupChat.nightModeStartHour == 23)
        #expect(configuration.matching.highConfidenceThreshold == 0.9)
        #expect(configuration.matching.midConfidenceThreshold == 0.6)
        #expect(configuration.training.stageAdvanceAt == 0.8)
        #expect(configuration.training.stageRoundCap == 6)
    }

    @Test("EMBEDDING_BASE_URL follows LLM_BASE_URL unless set")
    func embeddingBaseURL() throws {
        let local = try VividCrowdConfiguration(environment: ["LLM_BASE_URL": "http://127.0.0.1:8081/v1"])
        #expect(local.llm.embeddingBaseURL.absoluteString == "http://127.0.0.1:8081/v1")
        let split = try VividCrowdConfiguration(environment: [
            "LLM_BASE_URL": "http://127.0.0.1:8081/v1", "EMBEDDING_BASE_URL": "http://127.0.0.1:8082/v1",
        ])
        #expect(split.llm.embeddingBaseURL.absoluteString == "http://127.0.0.1:8082/v1")
    }

    @Test(
        "an invalid value names the variable and the accepted range",
        arguments: [
            ("PORT", "70000", "an integer in 0...65535"),
            ("LLM_MAX_CONCURRENCY", "zero", "an integer in 1...1024"),
            ("NIGHT_MODE_PROBABILITY", "1.5", "a number in 0.0...1.0"),
            ("LLM_MODE", "playback", "one of live, record, replay, auto"),
            ("LOG_LEVEL", "loud", "one of trace, debug, info"),
            ("LLM_BASE_URL", "ftp://example.com", "an http:// or https:// URL"),
            ("DATABASE_URL", "mysql://x", "a sqlite:PATH, memory:, postgres:// or postgresql:// URL"),
            ("REQUEST_TIMEOUT", "-1", "a number in 0.1...3600.0"),
            ("TRAINING_STAGE_ROUND_CAP", "0", "an integer in 1...100"),
            ("TRAINING_STAGE_ADVANCE_AT", "1.2", "a number in 0.05...1.0"),
            ("DATABASE_POOL_SIZE", "0", "an integer in 1...1000"),
            ("DATABASE_TIMEOUT", "99999999999999999999", "a number in 0.1...300.0"),
        ])
    func invalidValues(variable: String, value: String, expectation: String) {
        #expect {
            _ = try VividCrowdConfiguration(environment: [variable: value])
        } throws: { error in
            let message = String(describing: error)
            return message.contains(variable) && message.contains(value) && message.contains(expectation)
        }
    }

    @Test("the OSS settings come as all four or none; the keys stay out of the summary")
    func objectStorage() throws {
        let all = ["OSS_ACCESS_KEY_ID": "LTAIexampleid", "OSS_ACCESS_KEY_SECRET": "example-secret-key", "OSS_BUCKET_NAME": "media", "OSS_ENDPOINT": "oss-cn-hangzhou.aliyuncs.com"]
        let configured = try VividCrowdConfiguration(environment: all)
        #expect(configured.llm.objectStorage?.bucket == "media" && configured.llm.objectStorage?.linkLifetime == 3600)
        let shown = configured.summary.map { "\($0)=\($1)" }.joined(separator: "\n")
        #expect(!shown.contains("LTAIexampleid") && !shown.contains("example-secret-key") && shown.contains("OSS_BUCKET_NAME=media"))
        #expect(configured.llm.secrets.contains("example-secret-key"))
        var partial = all
        partial["OSS_BUCKET_NAME"] = nil
        #expect {
            _ = try VividCrowdConfiguration(environment: partial)
        } throws: { error in
            String(describing: error).contains("OSS_BUCKET_NAME") && !String(describing: error).contains("example-secret-key")
        }
        #expect(throws: ConfigurationError.self) {
            _ = try VividCrowdConfiguration(environment: all.merging(["OSS_ENDPOINT": "https://x/y"]) { $1 })
        }
        #expect(try VividCrowdConfiguration(environment: [:]).llm.objectStorage == nil)
    }

    @Test("typing delays and thresholds must be ordered")
    func orderedPairs() {
        #expect(throws: ConfigurationError.self) {
            _ = try VividCrowdConfiguration(environment: ["MIN_TYPING_DELAY": "5", "MAX_TYPING_DELAY": "2"])
        }
        #expect(throws: ConfigurationError.self) {
            _ = try VividCrowdConfiguration(environment: ["MID_CONFIDENCE_THRESHOLD": "0.95"])
        }
    }

    @Test(".env values load, quotes and comments are handled, and the process environment wins")
    func dotEnv() throws {
        let directory = try temporaryDirectory()
        let path = directory + "/.env"
        try """
            # local servers
            export LLM_BASE_URL="http://127.0.0.1:8081/v1"
            MODEL_NAME='smollm2'
            PORT=9000 # inline comment
            LLM_MODE=replay
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let configuration = try VividCrowdConfiguration.load(
            processEnvironment: ["PORT": "9100"], dotEnvPath: path)
        #expect(configuration.llm.baseURL.absoluteString == "http://127.0.0.1:8081/v1")
        #expect(configuration.llm.model == "smollm2")
        #expect(configuration.server.port == 9100)
        #expect(configuration.llm.mode == .replay)
    }

    @Test("a malformed .env line is reported with its file and line number")
    func malformedDotEnv() {
        #expect {
            _ = try DotEnv.parse("A=1\nthis is not an assignment\n", source: "my.env")
        } throws: { error in
            String(describing: error).contains("my.env:2")
        }
    }

    @Test(".env.example names every setting the configuration reads, and as shipped changes none")
    func envExample() throws {
        let path = repositoryRoot.appendingPathComponent(".env.example").path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let named = Set(text.split(separator: "\n").compactMap { line -> String? in
            let body = line.hasPrefix("# ") ? line.dropFirst(2) : line[...]
            guard let equals = body.firstIndex(of: "="), body[..<equals].allSatisfy({ $0.isUppercase || $0.isNumber || $0 == "_" })
            else { return nil }
            return String(body[..<equals])
        })
        let read = Set(try VividCrowdConfiguration(environment: [:]).summary.map(\.0))
        #expect(read.subtracting(named).isEmpty, "missing from .env.example: \(read.subtracting(named).sorted())")
        #expect(named.subtracting(read).isEmpty, "not settings: \(named.subtracting(read).sorted())")
        let loaded = try VividCrowdConfiguration.load(processEnvironment: [:], dotEnvPath: path)
        let defaults = try VividCrowdConfiguration(environment: [:])
        #expect(loaded.summary.map { "\($0)=\($1)" } == defaults.summary.map { "\($0)=\($1)" })
    }

    @Test("the summary never shows the API key")
    func summaryHidesSecrets() throws {
        let configuration = try VividCrowdConfiguration(environment: [
            "DASHSCOPE_API_KEY": testAPIKey, "DATABASE_URL": "postgres://user:hunter22@db/vc",
        ])
        let rendered = configuration.summary.map { "\($0)=\($1)" }.joined(separator: "\n")
        #expect(!rendered.contains(testAPIKey))
        #expect(!rendered.contains("hunter22"))
        #expect(rendered.contains("DASHSCOPE_API_KEY=(set, hidden)"))
    }
}
