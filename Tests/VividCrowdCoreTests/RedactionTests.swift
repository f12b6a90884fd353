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
