import Foundation
import VividCrowdCore

/// A simulation scenario, as a file in corpora/scenarios: which mode, which data, how many users and turns, the seed.
public struct Scenario: Sendable, Codable, Equatable {
    public enum Mode: String, Sendable, Codable { case customerService = "customer_service", groupChat = "group_chat", twins, training }

    public var name: String
    public var mode: Mode
    public var seed: UInt64
    public var users: Int
    public var turns: Int
    /// Labelled questions the users ask (JSON lines, corpora-relative); `expected` is the intended topic or intent
    /// (twins: the group questions, `expected` naming the shipped twin whose document covers it, or null; training:
    /// the trainees' scripts, a JSON file).
    public var questions: String
    /// Customer service: the knowledge base (corpora-relative CSV).
    public var knowledgeBase: String?
    /// Group chat: the personas (corpora-relative JSON).
    public var personas: String?
    /// Group chat: CLINC-style domains.json mapping intents to domains (corpora-relative).
    public var domains: String?
    /// The suite cassette whose canonical request holds the questions' vectors (warmed into the cache).
    public var embeddingCassette: String?
    /// The scenario's own cassette: LLM replies and anything else it embeds.
    public var cassette: String
    /// Group chat: the virtual wall-clock time the scenario starts at (ISO 8601).
    public var start: String?
    /// Users whose requests are in flight at once (the --server driver).
    public var concurrency: Int
    /// Twins: a folder in the twins-qa format (docs.jsonl, docs/, queries.jsonl); each document becomes a twin that
    /// users question in private.
    public var twinSuite: String?
    /// Twins: the manifest of the twins a group question goes to (corpora-relative, like `twins/shipped.json`).
    public var twins: String?
    /// Twins: the estimated tokens of document text one prompt carries (`TWIN_PROMPT_TOKENS`) when recorded.
    public var twinPromptTokens: Int?
    /// Training: the folder of customer profiles (corpora-relative); `users` of them, in name order, are sold to.
    public var customers: String?
    /// Training: seeded runs of every trainee with every customer (k of pass^k).
    public var runs: Int?
    /// Training: `TRAINING_STAGE_ROUND_CAP` for the run.
    public var stageRoundCap: Int?

    enum CodingKeys: String, CodingKey {
        case name, mode, seed, users, turns, questions, personas, domains, cassette, start, concurrency, twins, customers, runs
        case knowledgeBase = "knowledge_base"
        case stageRoundCap = "stage_round_cap"
        case embeddingCassette = "embedding_cassette"
        case twinSuite = "twin_suite"
        case twinPromptTokens = "twin_prompt_tokens"
    }

    /// Reads a scenario file, naming the file in any error.
    public static func load(_ url: URL) throws -> Scenario {
        do {
            let scenario = try JSONDecoder().decode(Scenario.self, from: Data(contentsOf: url))
            guard scenario.users > 0, scenario.turns > 0, scenario.concurrency > 0 else {
                throw ScenarioError(file: url.lastPathComponent, reason: "users, turns and concurrency must be positive")
            }
            return scenario
        } catch let error as ScenarioError {
            throw error
        } catch {
            throw ScenarioError(file: url.lastPathComponent, reason: "\(error)")
        }
    }
}

/// A scenario file that cannot be run.
public struct ScenarioError: Error, CustomStringConvertible, Sendable {
    public var file: String
    public var reason: String
    public var description: String { "\(file): \(reason)" }

    public init(file: String, reason: String) {
        self.file = file
        self.reason = reason
    }
}

/// A simulation's outcome: deterministic metrics (gated against the baseline) and the rest (reported only).
public struct SimulationReport: Sendable, Codable {
    public var scenario: String
    public var mode: Scenario.Mode
    /// Same seed, same cassettes: the same values. These are what the regression gate compares.
    public var metrics: [String: Double]
    /// Timing and other figures that vary from run to run.
    public var measurements: [String: Double]
    public var llm: LLMUsageMeter.Snapshot
    /// The conversation, for reading and for checking that a seed reproduces it.
    public var transcript: [String]

    public init(
        scenario: String, mode: Scenario.Mode, metrics: [String: Double], measurements: [String: Double],
        llm: LLMUsageMeter.Snapshot, transcript: [String]
    ) {
        self.scenario = scenario
        self.mode = mode
        self.metrics = metrics
        self.measurements = measurements
        self.llm = llm
        self.transcript = transcript
    }
}

extension SimulationReport {
    /// The report of an in-process run: `metrics` plus the LLM calls and cassette misses `client` counted.
    static func inProcess(
        _ scenario: Scenario, metrics: [String: Double], measurements: [String: Double] = [:], client: LLMClient, transcript: [String]
    ) async -> SimulationReport {
        let usage = await client.meter.snapshot
        var metrics = metrics
        metrics["llm_calls"] = Double(usage.chatCalls + usage.streamedChatCalls)
        metrics["cassette_misses"] = Double(usage.cassetteMisses)
        return SimulationReport(
            scenario: scenario.name, mode: scenario.mode, metrics: metrics, measurements: measurements, llm: usage, transcript: transcript)
    }

    /// The p50 and p99 of `values` as NAME_p50_ms and NAME_p99_ms (timings: reported, never gated); none when empty.
    public static func percentiles(_ name: String, _ values: [Double]) -> [String: Double] {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return [:] }
        func at(_ p: Double) -> Double { sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
        return ["\(name)_p50_ms": at(0.5), "\(name)_p99_ms": at(0.99)]
    }
}

/// Handoff phrases users say, with and without negation.
public enum HandoffPhrases {
    public static let requests = [
        "我要转人工", "转人工客服", "我要投诉", "这服务太差劲了，我要退款", "能找个真人吗", "I want to talk to a human",
        "Can I speak to a real person?", "transfer me to an agent", "I want to file a complaint", "This is terrible, I want a refund",
    ]
    public static let negated = [
        "不用转人工，我自己看看", "不要人工客服", "no need for a human, just tell me", "I don't need an agent, thanks",
        "没必要转人工", "I do not want a human",
    ]
}
