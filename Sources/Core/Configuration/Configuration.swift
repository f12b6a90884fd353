import Foundation
import Logging

/// How LLM calls relate to cassettes.
public enum LLMMode: String, Sendable, CaseIterable, Codable {
    /// Call the server; cassettes are not touched.
    case live
    /// Call the server and write every interaction to the cassette, replacing what it held.
    case record
    /// Answer only from the cassette; a request it does not hold is an error.
    case replay
    /// Answer from the cassette when it holds the request, otherwise call the server and append.
    case auto
}

/// An on/off setting.
public enum Switch: String, Sendable, CaseIterable {
    case on, off
}

/// What replay does when a request comes more often than the cassette recorded it.
public enum ReplayRepeat: String, Sendable, CaseIterable {
    /// A miss, like any unrecorded request: tests see every extra call.
    case error
    /// Serve the last recording again: a long-running server or a load test replaying a scenario.
    case last
}

/// How replay finds the recording of a request, named as `REPLAY_MATCH` accepts it.
public enum ReplayMatching: String, Sendable, CaseIterable {
    /// The whole request, field by field: tests and regression runs see any change in a prompt.
    case exact
    /// The request with its conversation reduced to the system prompt and the last message: a demo replays a
    /// recorded question whatever was said before it.
    case lastTurn = "last-turn"
}

/// Log verbosity, named as `LOG_LEVEL` accepts it.
public enum LogLevelSetting: String, Sendable, CaseIterable {
    case trace, debug, info, notice, warning, error, critical

    /// The swift-log level.
    public var level: Logger.Level { Logger.Level(rawValue: rawValue)! }
}

/// How log lines are written, named as `LOG_FORMAT` accepts it.
public enum LogFormat: String, Sendable, CaseIterable {
    /// swift-log's text lines, for people.
    case text
    /// One JSON object per line, for log collectors.
    case json
}

/// Everything VividCrowd reads from its environment, typed and range-checked in one place.
public struct VividCrowdConfiguration: Sendable {
    /// Settings for the one OpenAI-compatible client.
    public struct LLM: Sendable {
        public var apiKey: String?
        public var baseURL: URL
        public var embeddingBaseURL: URL
        public var model: String
        public var routerModel: String
        public var evaluationModel: String
        public var embeddingModel: String
        public var embeddingBatchSize: Int
        public var requestTimeout: Duration
        public var maxConcurrency: Int
        public var maxRetries: Int
        public var mode: LLMMode
        public var cassetteDirectory: String
        public var cassetteName: String
        public var replaySpeed: Double
        /// In replay, answer a request made more often than it was recorded with its last recording instead of failing.
        public var replayRepeatsLast: Bool
        /// How much of a request must equal a recording for replay to use it.
        public var replayMatching: ReplayMatching = .exact
        /// Send llama.cpp's non-standard `schema` key with JSON requests (local servers only; DashScope rejects it).
        public var localSchema: Bool
        /// `SPEECH_BASE_URL`: where OpenAI-compatible audio endpoints are (the chat server's when unset).
        public var speechBaseURL: URL? = nil
        /// `DASHSCOPE_API_BASE_URL`: DashScope's native API, which its speech models use.
        public var dashScopeAPIBaseURL: URL? = nil
        /// `VOLCENGINE_ACCESS_KEY` / `VOLCENGINE_SECRET_KEY`: Volcano Engine's keys (talking-head video).
        public var volcengineAccessKey: String? = nil
        public var volcengineSecretKey: String? = nil
        /// `VOLCENGINE_BASE_URL`: Volcano Engine's visual API.
        public var volcengineBaseURL: URL? = nil

        /// `OSS_*`: the bucket generated media is copied to; nil unless all four are set.
        public var objectStorage: ObjectStorage? = nil

        /// The secrets every log line, cassette and reply is kept free of.
        public var secrets: [String?] {
            [apiKey, volcengineAccessKey, volcengineSecretKey, objectStorage?.accessKeyID, objectStorage?.accessKeySecret]
        }
    }

    /// An Alibaba Cloud OSS bucket (the original's `OSS_*` settings).
    public struct ObjectStorage: Sendable {
        public var accessKeyID: String
        public var accessKeySecret: String
        public var bucket: String
        /// The region's endpoint host, `oss-cn-hangzhou.aliyuncs.com`.
        public var endpoint: String
        /// `OSS_URL_TTL`: how long a signed link to a copy works, in seconds.
        public var linkLifetime: Double
    }

    /// Talking-head video (twins): the provider's model and how long a task may take.
    public struct Video: Sendable {
        /// `VIDEO_PROVIDER`: `volcengine` when Volcano Engine's access key is set, else `offline`.
        public var provider: VideoProviderChoice
        /// `FFMPEG_PATH`: the ffmpeg the offline provider runs (a name looked up on `PATH`, or a path).
        public var ffmpegPath: String
        /// `VIDEO_MODEL`: the provider's model (Volcano Engine's `req_key`, DashScope's EMO model).
        public var model: String
        /// `VIDEO_TIMEOUT`: how long a task is polled before giving up.
        public var timeout: Duration
        /// `VIDEO_POLL_SECONDS`: how often a task is asked about.
        public var pollInterval: Duration
    }

    /// Where the HTTP server listens.
    public struct Server: Sendable {
        public var host: String
        public var port: Int
        public var adminToken: String?
        /// `PUBLIC_BASE_URL`: this server's address as outside services see it, so media it makes (speech for a
        /// talking-head video) can be fetched by them; nil when not set.
        public var publicBaseURL: URL? = nil
    }

    /// Where data lives.
    public struct Storage: Sendable {
        /// Directory of the embedded database (the default store when `databaseURL` is not set).
        public var databasePath: String
        /// A `sqlite:`, `memory:` or `postgres:` URL that overrides `databasePath` when set.
        public var databaseURL: String?
        /// Most connections one instance opens to a database server.
        public var poolSize: Int
        /// Seconds a statement waits for a connection before the store reports itself unavailable.
        public var connectionTimeout: Double
        /// Where tables compiled from the data files (jieba's dictionary and IDF table) are kept between runs.
        public var cachePath: String = CompiledTables.defaultDirectory().path

        /// The password in `databaseURL`, if it holds one (so logs can be kept free of it).
        public var databasePassword: String? {
            databaseURL.flatMap { URLComponents(string: $0)?.password }.flatMap { $0.isEmpty ? nil : $0 }
        }

        public init(databasePath: String, databaseURL: String?, poolSize: Int = 20, connectionTimeout: Double = 5) {
            self.databasePath = databasePath
            self.databaseURL = databaseURL
            self.poolSize = poolSize
            self.connectionTimeout = connectionTimeout
        }
    }

    /// Group-chat pacing and routing knobs.
    public struct GroupChat: Sendable {
        public var minTypingDelay: Double
        public var maxTypingDelay: Double
        public var maxAgentsPerRound: Int
        public var randomResponseProbability: Double
        public var nightModeStartHour: Int
        public var nightModeEndHour: Int
        public var nightModeProbability: Double
    }

    /// Customer-service matching knobs.
    public struct Matching: Sendable {
        public var highConfidenceThreshold: Double
        public var midConfidenceThreshold: Double
        public var bm25Weight: Double
        public var embeddingWeight: Double
        /// Whether any of the four was set: the original's formula with these values replaces the shipped default
        /// calibration (`RetrievalCalibration.standard`).
        public var configured: Bool = false
    }

    /// Digital-twin documents and refusal.
    public struct Twins: Sendable {
        /// The largest document accepted, and the most pages.
        public var limits: DocumentLimits
        /// Estimated tokens of document text in one prompt (the profile's sample, an answer's passages); a model
        /// with a small context window needs less.
        public var promptTokens: Int
        /// The evidence gate a twin refuses with (fitted by `vividcrowd-bench twins --fit-gate`); when the file is
        /// missing or was fitted for another embedding model, the lexical default.
        public var evidenceGatePath: String
    }

    /// Dense search over large corpora (knowledge bases, twins, sales materials).
    public struct Retrieval: Sendable {
        /// When an HNSW graph replaces exact scanning, how it is built, and the folder graphs are kept in (one
        /// subfolder per corpus).
        public var denseSearch: DenseSearchPolicy
    }

    /// Sales training: when the stage controller moves a conversation on.
    public struct Training: Sendable {
        /// Judged completion (0…1) at which a stage is done.
        public var stageAdvanceAt: Double
        /// Trainee messages after which a stage is left even if incomplete.
        public var stageRoundCap: Int
        /// The stage-labelled turns the no-LLM stage detector learns from: a folder (its `*_turns.jsonl`) or
        /// comma-separated files; `off` for no detector (the judge alone).
        public var stageTurns: String
    }

    /// Speech in and out (twins and training): which providers, what they accept, where media is kept.
    public struct Speech: Sendable {
        public var recognizer: SpeechProviderChoice
        public var synthesizer: SpeechProviderChoice
        public var limits: SpeechLimits
        /// The folder generated media (synthesised speech) is kept in and served from.
        public var mediaPath: String
        /// `SPEECH_RECOGNIZER_MODEL`: the recognizing model of a remote provider.
        public var recognizerModel: String = ""
        /// `SPEECH_SYNTHESIZER_MODEL`: the speaking model of a remote provider.
        public var synthesizerModel: String = ""
        /// `SPEECH_VOICE`: the voice a remote synthesizer speaks in when a request names none.
        public var voice: String = ""
    }

    public var llm: LLM
    public var server: Server
    public var storage: Storage
    public var groupChat: GroupChat
    public var matching: Matching
    public var twins: Twins
    public var training: Training
    public var retrieval: Retrieval
    public var speech: Speech
    public var video: Video
    /// `OSS_URL_TTL`, kept apart so the summary shows it when no bucket is set.
    public var ossLinkLifetime: Double = 3600
    public var protection: ProtectionSettings
    public var logLevel: LogLevelSetting
    public var logFormat: LogFormat
    /// `DEMO`: when `serve` runs the offline demo.
    public var demoSwitch: DemoSwitch
    /// `DEMO_MANIFEST`: the demo's cassette, settings, seeds and questions.
    public var demoManifestPath: String
    /// The offline demo in force (`serve` without a key), nil when the server runs as configured.
    public var demo: DemoManifest?

    /// DashScope's OpenAI-compatible endpoint, the default for chat and embeddings.
    public static let dashScopeBaseURL = "https://dashscope.aliyuncs.com/compatible-mode/v1"
    /// DashScope's native API, where its speech models are.
    public static let dashScopeAPIBaseURL = "https://dashscope.aliyuncs.com/api/v1"

    /// Reads and validates the configuration from a variable dictionary.
    public init(environment: [String: String]) throws {
        let env = EnvironmentReader(values: environment)
        let baseURL = try env.httpURL("LLM_BASE_URL", default: Self.dashScopeBaseURL)
        llm = LLM(
            apiKey: env.optionalString("DASHSCOPE_API_KEY"),
            baseURL: baseURL,
            embeddingBaseURL: try env.httpURL("EMBEDDING_BASE_URL", default: baseURL.absoluteString),
            model: env.string("MODEL_NAME", default: "qwen-max"),
            routerModel: env.string("ROUTER_MODEL_NAME", default: "qwen-turbo"),
            evaluationModel: env.string("EVALUATION_MODEL", default: "qwen-plus"),
            embeddingModel: env.string("EMBEDDING_MODEL", default: "text-embedding-v2"),
            embeddingBatchSize: try env.int("EMBEDDING_BATCH_SIZE", default: 25, in: 1...2048),
            requestTimeout: .milliseconds(
                Int(try env.double("REQUEST_TIMEOUT", default: 60, in: 0.1...3600) * 1000)),
            maxConcurrency: try env.int("LLM_MAX_CONCURRENCY", default: 10, in: 1...1024),
            maxRetries: try env.int("LLM_MAX_RETRIES", default: 3, in: 0...10),
            mode: try env.choice("LLM_MODE", default: LLMMode.live),
            cassetteDirectory: env.string("CASSETTE_DIR", default: "corpora/cassettes"),
            cassetteName: env.string("CASSETTE_NAME", default: "default"),
            replaySpeed: try env.double("REPLAY_SPEED", default: 0, in: 0...100),
            replayRepeatsLast: try env.choice("REPLAY_REPEAT", default: ReplayRepeat.error) == .last,
            localSchema: try env.choice("LLM_LOCAL_SCHEMA", default: Switch.off) == .on
        )
        llm.replayMatching = try env.choice("REPLAY_MATCH", default: ReplayMatching.exact)
        llm.speechBaseURL = try env.httpURL("SPEECH_BASE_URL", default: baseURL.absoluteString)
        llm.dashScopeAPIBaseURL = try env.httpURL("DASHSCOPE_API_BASE_URL", default: Self.dashScopeAPIBaseURL)
        llm.volcengineAccessKey = env.optionalString("VOLCENGINE_ACCESS_KEY")
        llm.volcengineSecretKey = env.optionalString("VOLCENGINE_SECRET_KEY")
        llm.volcengineBaseURL = try env.httpURL("VOLCENGINE_BASE_URL", default: "https://visual.volcengineapi.com")
        let ossNames = ["OSS_ACCESS_KEY_ID", "OSS_ACCESS_KEY_SECRET", "OSS_BUCKET_NAME", "OSS_ENDPOINT"]
        let ossValues = ossNames.map { env.optionalString($0) }
        let ossTTL = try env.double("OSS_URL_TTL", default: 3600, in: 60...604_800)
        ossLinkLifetime = ossTTL
        if ossValues.contains(where: { $0 != nil }) {
            if let missing = zip(ossNames, ossValues).first(where: { $0.1 == nil })?.0 {
                throw ConfigurationError(
                    variable: missing, value: "", expectation: "set with the other OSS_* settings (all four, or none)")
            }
            let endpoint = ossValues[3]!
            guard endpoint.range(of: #"^[A-Za-z0-9.-]+$"#, options: .regularExpression) != nil else {
                throw ConfigurationError(variable: "OSS_ENDPOINT", value: endpoint, expectation: "a host name, oss-cn-hangzhou.aliyuncs.com")
            }
            llm.objectStorage = ObjectStorage(
                accessKeyID: ossValues[0]!, accessKeySecret: ossValues[1]!, bucket: ossValues[2]!, endpoint: endpoint,
                linkLifetime: ossTTL)
        }
        server = Server(
            host: env.string("HOST", default: "127.0.0.1"),
            port: try env.int("PORT", default: 8000, in: 0...65535),
            adminToken: env.optionalString("ADMIN_TOKEN")
        )
        if env.optionalString("PUBLIC_BASE_URL") != nil {
            server.publicBaseURL = try env.httpURL("PUBLIC_BASE_URL", default: "")
        }
        protection = try ProtectionSettings(env)
        storage = Storage(
            databasePath: env.string("DATABASE_PATH", default: "./data"),
            databaseURL: env.optionalString("DATABASE_URL"),
            poolSize: try env.int("DATABASE_POOL_SIZE", default: 20, in: 1...1000),
            connectionTimeout: try env.double("DATABASE_TIMEOUT", default: 5, in: 0.1...300)
        )
        storage.cachePath = CompiledTables.defaultDirectory(environment: env.values).path
        if let url = storage.databaseURL, !(url.hasPrefix("sqlite:") || url.hasPrefix("memory:")
            || url.hasPrefix("postgres:") || url.hasPrefix("postgresql:"))
        {
            throw ConfigurationError(
                variable: "DATABASE_URL", value: Redactor.maskingURLCredentials(url),
                expectation: "a sqlite:PATH, memory:, postgres:// or postgresql:// URL")
        }
        groupChat = GroupChat(
            minTypingDelay: try env.double("MIN_TYPING_DELAY", default: 8.0, in: 0...600),
            maxTypingDelay: try env.double("MAX_TYPING_DELAY", default: 10.0, in: 0...600),
            maxAgentsPerRound: try env.int("MAX_AGENTS_PER_ROUND", default: 3, in: 1...50),
            randomResponseProbability: try env.double("RANDOM_RESPONSE_PROBABILITY", default: 0.3, in: 0...1),
            nightModeStartHour: try env.int("NIGHT_MODE_START_HOUR", default: 23, in: 0...23),
            nightModeEndHour: try env.int("NIGHT_MODE_END_HOUR", default: 7, in: 0...23),
            nightModeProbability: try env.double("NIGHT_MODE_PROBABILITY", default: 0.2, in: 0...1)
        )
        if groupChat.minTypingDelay > groupChat.maxTypingDelay {
            throw ConfigurationError(
                variable: "MIN_TYPING_DELAY", value: String(groupChat.minTypingDelay),
                expectation: "a number no greater than MAX_TYPING_DELAY (\(groupChat.maxTypingDelay))")
        }
        matching = Matching(
            highConfidenceThreshold: try env.double("HIGH_CONFIDENCE_THRESHOLD", default: 0.9, in: 0...1),
            midConfidenceThreshold: try env.double("MID_CONFIDENCE_THRESHOLD", default: 0.6, in: 0...1),
            bm25Weight: try env.double("BM25_WEIGHT", default: 0.6, in: 0...1),
            embeddingWeight: try env.double("EMBEDDING_WEIGHT", default: 0.4, in: 0...1),
            configured: ["HIGH_CONFIDENCE_THRESHOLD", "MID_CONFIDENCE_THRESHOLD", "BM25_WEIGHT", "EMBEDDING_WEIGHT"]
                .contains { env.optionalString($0) != nil }
        )
        if matching.midConfidenceThreshold > matching.highConfidenceThreshold {
            throw ConfigurationError(
                variable: "MID_CONFIDENCE_THRESHOLD", value: String(matching.midConfidenceThreshold),
                expectation: "a number no greater than HIGH_CONFIDENCE_THRESHOLD (\(matching.highConfidenceThreshold))")
        }
        twins = Twins(
            limits: DocumentLimits(
                maximumBytes: try env.int("TWIN_MAX_UPLOAD_MB", default: 50, in: 1...1024) * 1024 * 1024,
                maximumPages: try env.int("TWIN_MAX_PAGES", default: 2_000, in: 1...100_000)),
            promptTokens: try env.int("TWIN_PROMPT_TOKENS", default: 6_000, in: 200...1_000_000),
            evidenceGatePath: env.string("TWIN_EVIDENCE_GATE", default: "corpora/twins/evidence-gate.json"))
        training = Training(
            stageAdvanceAt: try env.double("TRAINING_STAGE_ADVANCE_AT", default: 0.8, in: 0.05...1),
            stageRoundCap: try env.int("TRAINING_STAGE_ROUND_CAP", default: 6, in: 1...100),
            stageTurns: env.string("TRAINING_STAGE_TURNS", default: "corpora/sales/stages"))
        retrieval = Retrieval(
            denseSearch: DenseSearchPolicy(
                approximateFrom: try env.int("DENSE_APPROXIMATE_FROM", default: 200_000, in: 1...Int(Int32.max)),
                graphFolder: URL(fileURLWithPath: env.string(
                    "HNSW_GRAPH_PATH", default: (storage.databasePath as NSString).appendingPathComponent("hnsw")))))
        speech = Speech(
            recognizer: try env.choice("SPEECH_RECOGNIZER", default: SpeechProviderChoice.offline),
            synthesizer: try env.choice("SPEECH_SYNTHESIZER", default: SpeechProviderChoice.offline),
            limits: SpeechLimits(
                maximumBytes: try env.int("SPEECH_MAX_UPLOAD_MB", default: 10, in: 1...200) * 1024 * 1024,
                maximumSeconds: try env.double("SPEECH_MAX_SECONDS", default: 60, in: 1...3600),
                maximumTextCharacters: try env.int("SPEECH_MAX_TEXT", default: 2_000, in: 1...20_000)),
            mediaPath: env.string("MEDIA_PATH", default: (storage.databasePath as NSString).appendingPathComponent("media")))
        speech.recognizerModel = env.string("SPEECH_RECOGNIZER_MODEL", default: speech.recognizer.defaultRecognizerModel)
        speech.synthesizerModel = env.string("SPEECH_SYNTHESIZER_MODEL", default: speech.synthesizer.defaultSynthesizerModel)
        speech.voice = env.string("SPEECH_VOICE", default: speech.synthesizer.defaultVoice)
        let videoProvider = try env.choice(
            "VIDEO_PROVIDER", default: llm.volcengineAccessKey == nil ? VideoProviderChoice.offline : .volcengine)
        video = Video(
            provider: videoProvider, ffmpegPath: env.string("FFMPEG_PATH", default: "ffmpeg"),
            model: env.string("VIDEO_MODEL", default: videoProvider.defaultModel),
            timeout: .milliseconds(Int(try env.double("VIDEO_TIMEOUT", default: 600, in: 10...3600) * 1000)),
            pollInterval: .milliseconds(Int(try env.double("VIDEO_POLL_SECONDS", default: 5, in: 0.5...60) * 1000)))
        logLevel = try env.choice("LOG_LEVEL", default: LogLevelSetting.info)
        logFormat = try env.choice("LOG_FORMAT", default: LogFormat.text)
        demoSwitch = try env.choice("DEMO", default: DemoSwitch.auto)
        demoManifestPath = env.string("DEMO_MANIFEST", default: DemoManifest.defaultPath)
    }

    /// The process environment layered over a `.env` file (the process wins), then validated. With `allowsDemo`
    /// (the server), the offline demo's settings go over both when `DEMO` asks for it (see `wantsDemo`).
    public static func load(
        processEnvironment: [String: String] = ProcessInfo.processInfo.environment,
        dotEnvPath: String = ".env", allowsDemo: Bool = false
    ) throws -> VividCrowdConfiguration {
        var merged = try DotEnv.load(path: dotEnvPath)
        merged.merge(processEnvironment) { _, process in process }
        let env = EnvironmentReader(values: merged)
        guard allowsDemo,
            Self.wantsDemo(
                try env.choice("DEMO", default: DemoSwitch.auto), apiKeySet: env.optionalString("DASHSCOPE_API_KEY") != nil,
                llmModeSet: env.optionalString("LLM_MODE") != nil)
        else { return try VividCrowdConfiguration(environment: merged) }
        let manifest = try DemoManifest.load(path: env.string("DEMO_MANIFEST", default: DemoManifest.defaultPath))
        merged.merge(manifest.defaults) { chosen, _ in chosen }
        merged.merge(manifest.overrides) { _, demo in demo }
        // Its own database, so a demo's seeds and chats never mix with a live deployment's data.
        if EnvironmentReader(values: merged).optionalString("DATABASE_PATH") == nil,
            EnvironmentReader(values: merged).optionalString("DATABASE_URL") == nil
        {
            merged["DATABASE_PATH"] = "./data/demo"
        }
        var settings = try VividCrowdConfiguration(environment: merged)
        settings.demo = manifest
        return settings
    }

    /// Whether `DEMO` asks for the offline demo: `on`, or `auto` with neither a key nor `LLM_MODE`.
    public static func wantsDemo(_ demo: DemoSwitch, apiKeySet: Bool, llmModeSet: Bool) -> Bool {
        switch demo {
        case .on: return true
        case .off: return false
        case .auto: return !apiKeySet && !llmModeSet
        }
    }

    /// A matching knob as `config` shows it: unset ones stand aside for the shipped default calibration.
    private func matchingSetting(_ value: Double) -> String {
        matching.configured ? String(value) : "(not set: the shipped default calibration)"
    }

    /// The settings as display rows, with secrets masked; safe to log or print.
    public var summary: [(String, String)] {
        let core: [(String, String)] = [
            ("DASHSCOPE_API_KEY", llm.apiKey == nil ? "(not set)" : "(set, hidden)"),
            ("LLM_BASE_URL", llm.baseURL.absoluteString),
            ("EMBEDDING_BASE_URL", llm.embeddingBaseURL.absoluteString),
            ("MODEL_NAME", llm.model), ("ROUTER_MODEL_NAME", llm.routerModel),
            ("EVALUATION_MODEL", llm.evaluationModel), ("EMBEDDING_MODEL", llm.embeddingModel),
            ("EMBEDDING_BATCH_SIZE", String(llm.embeddingBatchSize)),
            ("REQUEST_TIMEOUT", String(Double(llm.requestTimeout.components.seconds)
                + Double(llm.requestTimeout.components.attoseconds) / 1e18)),
            ("LLM_MAX_CONCURRENCY", String(llm.maxConcurrency)), ("LLM_MAX_RETRIES", String(llm.maxRetries)),
            ("LLM_MODE", llm.mode.rawValue), ("CASSETTE_DIR", llm.cassetteDirectory),
            ("CASSETTE_NAME", llm.cassetteName), ("REPLAY_SPEED", String(llm.replaySpeed)),
            ("REPLAY_REPEAT", llm.replayRepeatsLast ? ReplayRepeat.last.rawValue : ReplayRepeat.error.rawValue),
            ("REPLAY_MATCH", llm.replayMatching.rawValue),
            ("LLM_LOCAL_SCHEMA", llm.localSchema ? "on" : "off"),
            ("HOST", server.host), ("PORT", String(server.port)),
            ("ADMIN_TOKEN", server.adminToken == nil ? "(not set)" : "(set, hidden)"),
            ("DATABASE_PATH", storage.databasePath), ("CACHE_DIR", storage.cachePath),
            ("DATABASE_URL", storage.databaseURL.map(Redactor.maskingURLCredentials) ?? "(not set)"),
            ("DATABASE_POOL_SIZE", String(storage.poolSize)), ("DATABASE_TIMEOUT", String(storage.connectionTimeout)),
            ("LOG_LEVEL", logLevel.rawValue), ("LOG_FORMAT", logFormat.rawValue),
            ("DEMO", demoSwitch.rawValue + (demo == nil ? "" : " (running the offline demo)")),
            ("DEMO_MANIFEST", demoManifestPath),
            ("MIN_TYPING_DELAY", String(groupChat.minTypingDelay)),
            ("MAX_TYPING_DELAY", String(groupChat.maxTypingDelay)),
            ("MAX_AGENTS_PER_ROUND", String(groupChat.maxAgentsPerRound)),
            ("RANDOM_RESPONSE_PROBABILITY", String(groupChat.randomResponseProbability)),
            ("NIGHT_MODE_START_HOUR", String(groupChat.nightModeStartHour)),
            ("NIGHT_MODE_END_HOUR", String(groupChat.nightModeEndHour)),
            ("NIGHT_MODE_PROBABILITY", String(groupChat.nightModeProbability)),
            ("HIGH_CONFIDENCE_THRESHOLD", matchingSetting(matching.highConfidenceThreshold)),
            ("MID_CONFIDENCE_THRESHOLD", matchingSetting(matching.midConfidenceThreshold)),
            ("BM25_WEIGHT", matchingSetting(matching.bm25Weight)),
            ("EMBEDDING_WEIGHT", matchingSetting(matching.embeddingWeight)),
            ("TWIN_MAX_UPLOAD_MB", String(twins.limits.maximumBytes / 1024 / 1024)),
            ("TWIN_MAX_PAGES", String(twins.limits.maximumPages)), ("TWIN_PROMPT_TOKENS", String(twins.promptTokens)),
            ("TWIN_EVIDENCE_GATE", twins.evidenceGatePath),
            ("TRAINING_STAGE_ADVANCE_AT", String(training.stageAdvanceAt)),
            ("TRAINING_STAGE_ROUND_CAP", String(training.stageRoundCap)), ("TRAINING_STAGE_TURNS", training.stageTurns),
            ("DENSE_APPROXIMATE_FROM", String(retrieval.denseSearch.approximateFrom)),
            ("HNSW_GRAPH_PATH", retrieval.denseSearch.graphFolder?.path ?? ""),
            ("SPEECH_RECOGNIZER", speech.recognizer.rawValue), ("SPEECH_SYNTHESIZER", speech.synthesizer.rawValue),
            ("SPEECH_RECOGNIZER_MODEL", speech.recognizerModel), ("SPEECH_SYNTHESIZER_MODEL", speech.synthesizerModel),
            ("SPEECH_VOICE", speech.voice), ("SPEECH_BASE_URL", llm.speechBaseURL?.absoluteString ?? ""),
            ("DASHSCOPE_API_BASE_URL", llm.dashScopeAPIBaseURL?.absoluteString ?? ""),
            ("SPEECH_MAX_UPLOAD_MB", String(speech.limits.maximumBytes / 1024 / 1024)),
            ("SPEECH_MAX_SECONDS", String(speech.limits.maximumSeconds)),
            ("SPEECH_MAX_TEXT", String(speech.limits.maximumTextCharacters)), ("MEDIA_PATH", speech.mediaPath),
            ("VOLCENGINE_ACCESS_KEY", llm.volcengineAccessKey == nil ? "(not set)" : "(set, hidden)"),
            ("VOLCENGINE_SECRET_KEY", llm.volcengineSecretKey == nil ? "(not set)" : "(set, hidden)"),
            ("VOLCENGINE_BASE_URL", llm.volcengineBaseURL?.absoluteString ?? ""),
            ("VIDEO_PROVIDER", video.provider.rawValue), ("FFMPEG_PATH", video.ffmpegPath), ("VIDEO_MODEL", video.model),
            ("PUBLIC_BASE_URL", server.publicBaseURL?.absoluteString ?? "(not set)"),
            ("OSS_ACCESS_KEY_ID", llm.objectStorage == nil ? "(not set)" : "(set, hidden)"),
            ("OSS_ACCESS_KEY_SECRET", llm.objectStorage == nil ? "(not set)" : "(set, hidden)"),
            ("OSS_BUCKET_NAME", llm.objectStorage?.bucket ?? "(not set)"),
            ("OSS_ENDPOINT", llm.objectStorage?.endpoint ?? "(not set)"),
            ("OSS_URL_TTL", String(ossLinkLifetime)),
            ("VIDEO_TIMEOUT", String(video.timeout.seconds)), ("VIDEO_POLL_SECONDS", String(video.pollInterval.seconds)),
        ]
        return core + protection.summary
    }
}
