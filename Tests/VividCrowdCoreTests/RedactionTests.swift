import Foundation
import Logging
import Testing
@testable import VividCrowdCore
import VividCrowdTesting

@Suite("Secrets")
struct RedactionTests {
    @Test("the API key never reaches a cassette, a log line or an error message")
    func keyNeverLeaks() async throws {
        let directory = try temporaryDirectory()
        let capture = CapturingLogHandler()
        let logger = Logger(label: "test") { _ in
            RedactingLogHandler(upstream: capture, redactor: Redactor(secrets: [testAPIKey]))
        }
        // A hostile server that echoes the Authorization header everywhere it can.
        try await FakeOpenAIServer.with({ request, _ in
            let echoed = request.authorization ?? ""
            if request.body["messages"]?[0]?["content"]?.stringValue == "fail" {
                return .json(status: 401, OpenAIFixtures.error("Incorrect API key provided: \(echoed)", code: "invalid_api_key"))
            }
            return .json(OpenAIFixtures.completion("your header was \(echoed) and key \(testAPIKey)"))
        }) { url, _ in
            let transport = makeTransport(url, logger: logger)
            let cassette = try Cassette(directory: directory, name: "secrets", startEmpty: true, redactor: Redactor(secrets: [testAPIKey]))
            let client = LLMClient(
                transport: CassetteTransport(cassette: cassette, mode: .record, live: transport),
                models: testModels, logger: logger)
            _ = try await client.complete(ChatRequest(model: "test-model", messages: [.user("hello")]))
            do {
                _ = try await client.complete(ChatRequest(model: "test-model", messages: [.user("fail")]))
                Issue.record("expected an authentication error")
            } catch {
                #expect(String(describing: error).contains("rejected the API key"))
                #expect(!String(describing: error).contains(testAPIKey))
                #expect(!"\(error)".contains("vividcrowd-test"))
            }
            try await transport.shutdown()
        }
        let cassetteText = try String(contentsOfFile: directory + "/secrets.json", encoding: .utf8)
        #expect(!cassetteText.contains(testAPIKey))
        #expect(cassetteText.contains(Redactor.placeholder))
        #expect(!capture.lines.isEmpty)
        #expect(capture.lines.allSatisfy { !$0.contains(testAPIKey) })
        #expect(capture.lines.contains { $0.contains("rejected the API key") })
    }

    @Test("LOG_FORMAT=json writes one parseable object per line, metadata beside the fields, the database password redacted")
    func jsonLines() throws {
        final class Lines: @unchecked Sendable {
            private let lock = NSLock()
            private var stored: [String] = []
            func add(_ line: String) { lock.withLock { stored.append(line) } }
            var all: [String] { lock.withLock { stored } }
        }
        let lines = Lines()
        let settings = try VividCrowdConfiguration(environment: [
            "LOG_FORMAT": "json", "DATABASE_URL": "postgres://vivid:pw-canary-1@db:5432/crowd",
        ])
        #expect(settings.logFormat == .json && settings.storage.databasePassword == "pw-canary-1")
        let redactor = Redactor(secrets: [settings.storage.databasePassword])
        var logger = Logger(label: "vividcrowd.test") { label in
            RedactingLogHandler(upstream: JSONLinesLogHandler(label: label, write: { lines.add($0) }), redactor: redactor)
        }
        logger[metadataKey: "instance"] = "a"
        logger.info("connecting to postgres://vivid:pw-canary-1@db", metadata: ["rows": "3", "level": "not the level"])
        logger.debug("below the level")
        try #require(lines.all.count == 1)
        let line = lines.all[0]
        #expect(line.hasSuffix("\n") && !line.dropLast().contains("\n"))
        #expect(!line.contains("pw-canary-1"))
        let object = try #require(try JSONValue.parse(line).objectValue)
        #expect(object["level"] == "info" && object["label"] == "vividcrowd.test" && object["rows"] == "3")
        #expect(object["instance"] == "a" && object["source"] != nil)
        #expect(object["message"]?.stringValue?.hasPrefix("connecting to postgres://vivid:") == true)
        #expect(ISO8601DateFormatter().date(from: String((object["time"]?.stringValue ?? "").prefix(19)) + "Z") != nil)
    }

    @Test("key-shaped strings and bearer tokens are removed even when not configured")
    func patterns() {
        let redactor = Redactor(secrets: [])
        let text = redactor.redact(#"Authorization: Bearer abcdefghijklmnop; {"api_key": "sk-abcdefghijkl"} sk-zyxwvutsrqpo"#)
        #expect(!text.contains("abcdefghijklmnop"))
        #expect(!text.contains("sk-abcdefghijkl"))
        #expect(!text.contains("sk-zyxwvutsrqpo"))
    }

    @Test("a missing DashScope key is a clear error before any request is sent")
    func missingKey() async throws {
        let transport = makeTransport(URL(string: VividCrowdConfiguration.dashScopeBaseURL)!, key: nil)
        try await withClient(transport) { client in
            await #expect(throws: LLMError.missingAPIKey(endpoint: VividCrowdConfiguration.dashScopeBaseURL)) {
                _ = try await client.complete(ChatRequest(model: "qwen-max", messages: [.user("hi")]))
            }
        }
    }
}

/// Streams a reply whose text is cut into the given pieces.
private struct PiecewiseStream: LLMTransport {
    let pieces: [String]

    func send(_ endpoint: LLMEndpoint, body: JSONValue) async throws -> JSONValue {
        OpenAIFixtures.completion(pieces.joined())
    }

    func stream(_ endpoint: LLMEndpoint, body: JSONValue) async throws -> AsyncThrowingStream<StreamPayload, any Error> {
        let payloads = pieces.map { OpenAIFixtures.chunk($0) } + [OpenAIFixtures.chunk(nil, finish: "stop"), "data: [DONE]\n\n"]
        return AsyncThrowingStream { continuation in
            for (index, payload) in payloads.enumerated() {
                continuation.yield(StreamPayload(
                    data: String(payload.dropFirst("data: ".count).dropLast(2)), offset: .milliseconds(index * 10)))
            }
            continuation.finish()
        }
    }
}

@Suite("Secrets split across stream chunks")
struct StreamRedactionTests {
    /// The key cut in two, three and many places, and a pattern-shaped key the redactor does not know literally.
    static let splits: [[String]] = [
        ["My key is sk-vividcrowd-te", "st-9f8e7d6c5b4a, keep it."],
        ["key: sk-vivid", "crowd-test-9f8e", "7d6c5b4a done"],
        Array("token sk-vividcrowd-test-9f8e7d6c5b4a!").map(String.init),
        ["other key sk-abcdefgh", "ijklmnop and bye"],
    ]

    @Test("a key split across chunks never reaches the stream's consumer", arguments: splits)
    func streamedReply(_ pieces: [String]) async throws {
        let client = LLMClient(
            transport: PiecewiseStream(pieces: pieces), models: testModels, redactor: Redactor(secrets: [testAPIKey]))
        let (text, _) = try await client.stream(ChatRequest(model: "m", messages: [.user("hi")])).collectText()
        #expect(!text.contains("sk-"), "\(text)")
        #expect(text.contains(Redactor.placeholder))
        // Everything but the key arrives, in order.
        let expected = Redactor(secrets: [testAPIKey]).redact(pieces.joined())
        #expect(text == expected)
    }

    @Test("ordinary text streams through unchanged, piece by piece")
    func ordinaryText() async throws {
        let pieces = ["你好，", "今天", "天气", " is fine", " — really."]
        let client = LLMClient(transport: PiecewiseStream(pieces: pieces), models: testModels, redactor: Redactor(secrets: [testAPIKey]))
        let (text, _) = try await client.stream(ChatRequest(model: "m", messages: [.user("hi")])).collectText()
        #expect(text == pieces.joined())
    }

    @Test("a recorded stream with a split key is written to the cassette without it", arguments: splits)
    func cassette(_ pieces: [String]) async throws {
        let directory = try temporaryDirectory()
        let cassette = try Cassette(directory: directory, name: "split", startEmpty: true, redactor: Redactor(secrets: [testAPIKey]))
        let client = LLMClient(
            transport: CassetteTransport(cassette: cassette, mode: .record, live: PiecewiseStream(pieces: pieces)),
            models: testModels)
        _ = try await client.stream(ChatRequest(model: "m", messages: [.user("hi")])).collectText()
        let text = try String(contentsOfFile: directory + "/split.json", encoding: .utf8)
        #expect(!text.contains("9f8e7d6c5b4a") && !text.contains("ijklmnop"), "\(text)")
        // The recording still replays, with the key removed from its text.
        let player = LLMClient(
            transport: CassetteTransport(
                cassette: try Cassette(directory: directory, name: "split", startEmpty: false, redactor: Redactor(secrets: [])),
                mode: .replay, live: nil),
            models: testModels)
        let (replayed, _) = try await player.stream(ChatRequest(model: "m", messages: [.user("hi")])).collectText()
        #expect(replayed == Redactor(secrets: [testAPIKey]).redact(pieces.joined()))
    }
}
