import Foundation

/// Whether `serve` runs the offline demo, named as `DEMO` accepts it.
public enum DemoSwitch: String, Sendable, CaseIterable {
    /// The demo when neither `DASHSCOPE_API_KEY` nor `LLM_MODE` is set; otherwise live as configured.
    case auto
    /// Always the demo, also with a key.
    case on
    /// Never the demo: without a key, calls fail with `no API key`.
    case off
}

/// The offline demo `serve` starts without a key: the cassette it replays, the settings that cassette was recorded
/// under, what it seeds, and the messages it holds replies for (`corpora/demo/manifest.json`).
public struct DemoManifest: Codable, Sendable, Equatable {
    /// What the demo seeds at start-up; paths relative to the working directory.
    public struct Seed: Codable, Sendable, Equatable {
        public var knowledgeBase: String?
        public var twins: String?
        public var customers: String?
        public var salesMaterials: [String]?

        public init(knowledgeBase: String?, twins: String?, customers: String?, salesMaterials: [String]?) {
            self.knowledgeBase = knowledgeBase
            self.twins = twins
            self.customers = customers
            self.salesMaterials = salesMaterials
        }

        enum CodingKeys: String, CodingKey {
            case knowledgeBase = "knowledge_base", twins, customers
            case salesMaterials = "sales_materials"
        }
    }

    /// The four modes, as the demo's questions are grouped.
    public enum Mode: String, Codable, Sendable, CaseIterable {
        case customerService = "customer_service"
        case groupChat = "group_chat"
        case twins
        case training
    }

    /// The cassette name under `CASSETTE_DIR`.
    public var cassette: String
    /// Settings that shape requests (models, prompt budgets): the recording's, so replayed requests match it.
    public var environment: [String: String]
    /// Settings the demo starts with unless the operator sets them (shorter typing delays, no night mode).
    public var defaults: [String: String]
    public var seed: Seed
    /// Messages with recorded replies, per mode, in the order they were recorded.
    public var questions: [Mode: [String]]

    /// The manifest's default location.
    public static let defaultPath = "corpora/demo/manifest.json"

    /// Reads a manifest; a missing or malformed file is a configuration error naming it.
    public static func load(path: String) throws -> DemoManifest {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(
                variable: "DEMO_MANIFEST", value: path,
                expectation: "the offline demo's manifest (run from the repository folder, or set DASHSCOPE_API_KEY to go live)")
        }
        do {
            return try JSONDecoder().decode(DemoManifest.self, from: data)
        } catch {
            throw ConfigurationError(variable: "DEMO_MANIFEST", value: path, expectation: "a demo manifest: \(error)")
        }
    }

    /// The variables the demo sets over the operator's: replay of its cassette, matched on the last turn so a
    /// recorded question replays whatever came before it, under the recording's request-shaping settings.
    public var overrides: [String: String] {
        environment.merging([
            "LLM_MODE": LLMMode.replay.rawValue, "CASSETTE_NAME": cassette, "REPLAY_REPEAT": ReplayRepeat.last.rawValue,
            "REPLAY_MATCH": ReplayMatching.lastTurn.rawValue,
        ]) { _, demo in demo }
    }

    /// What a user reads when the demo holds no reply for their message: a few recorded ones for `mode` to try.
    public func notRecordedMessage(for mode: Mode) -> String {
        let tries = (questions[mode] ?? []).prefix(3).map { "“\($0)”" }
        var text = "This is a recorded demo, and it holds no reply for that message."
        if !tries.isEmpty { text += " Try one of these: " + tries.joined(separator: ", ") + "." }
        return text + " To talk to the live model, set DASHSCOPE_API_KEY and restart the server."
    }

    public init(
        cassette: String, environment: [String: String], defaults: [String: String] = [:], seed: Seed,
        questions: [Mode: [String]]
    ) {
        self.cassette = cassette
        self.environment = environment
        self.defaults = defaults
        self.seed = seed
        self.questions = questions
    }

    enum CodingKeys: String, CodingKey { case cassette, environment, defaults, seed, questions }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        cassette = try container.decode(String.self, forKey: .cassette)
        environment = try container.decodeIfPresent([String: String].self, forKey: .environment) ?? [:]
        defaults = try container.decodeIfPresent([String: String].self, forKey: .defaults) ?? [:]
        seed = try container.decode(Seed.self, forKey: .seed)
        let named = try container.decode([String: [String]].self, forKey: .questions)
        var questions: [Mode: [String]] = [:]
        for (name, list) in named {
            guard let mode = Mode(rawValue: name) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .questions, in: container, debugDescription: "unknown mode '\(name)'")
            }
            questions[mode] = list
        }
        self.questions = questions
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(cassette, forKey: .cassette)
        try container.encode(environment, forKey: .environment)
        try container.encode(defaults, forKey: .defaults)
        try container.encode(seed, forKey: .seed)
        try container.encode(
            Dictionary(uniqueKeysWithValues: questions.map { ($0.key.rawValue, $0.value) }), forKey: .questions)
    }
}
