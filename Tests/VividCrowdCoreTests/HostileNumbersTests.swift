import Foundation
import Testing
@testable import VividCrowdCore
import VividCrowdTesting

/// Answers every call with the same JSON.
private struct FixedReply: LLMTransport {
    let reply: JSONValue

    func send(_ endpoint: LLMEndpoint, body: JSONValue) async throws -> JSONValue { reply }

    func stream(_ endpoint: LLMEndpoint, body: JSONValue) async throws -> AsyncThrowingStream<StreamPayload, any Error> {
        throw LLMError.malformedResponse("no streams here")
    }
}

/// ±1e300, NaN, huge integers and negative zero at every entry point where a number comes from outside.
@Suite("Hostile numbers")
struct HostileNumbersTests {
    @Test("JSON integers are taken only when Int holds them exactly")
    func jsonIntegers() throws {
        #expect(JSONValue.number(1e300).intValue == nil)
        #expect(JSONValue.number(-1e300).intValue == nil)
        #expect(JSONValue.number(.nan).intValue == nil)
        #expect(JSONValue.number(.infinity).intValue == nil)
        #expect(JSONValue.number(9.3e18).intValue == nil)
        #expect(JSONValue.number(4.5).intValue == nil)
        #expect(JSONValue.number(-0.0).intValue == 0)
        #expect(try JSONValue.parse("[99999999999999999999]")[0]?.intValue == nil)
        #expect(throws: (any Error).self) { try JSONValue.parse("[NaN]") }
    }

    @Test("an LLM reply's usage with absurd token counts is ignored, not summed into an overflow",
          arguments: ["1e300", "-1e300", "9e18", "-5", "2.5", "99999999999999999999"])
    func tokenUsage(_ count: String) async throws {
        let reply = try JSONValue.parse("""
            {"choices": [{"message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],
             "usage": {"prompt_tokens": \(count), "completion_tokens": \(count)}}
            """)
        let client = LLMClient(transport: FixedReply(reply: reply), models: testModels)
        for _ in 0..<3 { #expect(try await client.complete(ChatRequest(model: "m", messages: [.user("hi")])).content == "ok") }
        #expect(await client.meter.snapshot.promptTokens == 0)
    }

    @Test("embedding values beyond Float32 and indexes that are not whole numbers are malformed replies",
          arguments: [
            #"{"data": [{"index": 0, "embedding": [1e300, 0]}]}"#, #"{"data": [{"index": 0, "embedding": [-1e300, 0]}]}"#,
            #"{"data": [{"index": 1e300, "embedding": [1, 0]}]}"#, #"{"data": [{"index": 0.5, "embedding": [1, 0]}]}"#,
            #"{"data": [{"index": -1, "embedding": [1, 0]}]}"#,
          ])
    func embeddings(_ body: String) async throws {
        let client = LLMClient(transport: FixedReply(reply: try JSONValue.parse(body)), models: testModels)
        await #expect(throws: LLMError.self) { try await client.embed(["x"]) }
        // Negative zero is a number like any other.
        let fine = LLMClient(
            transport: FixedReply(reply: try JSONValue.parse(#"{"data": [{"index": -0, "embedding": [-0, 1]}]}"#)),
            models: testModels)
        #expect(try await fine.embed(["x"]) == [[0, 1]])
    }

    @Test("Retry-After values that would overflow a duration are capped or ignored")
    func retryAfter() {
        let day = Duration.seconds(86_400)
        #expect(RetryPolicy.parseRetryAfter("1e300") == day)
        #expect(RetryPolicy.parseRetryAfter("99999999999999999999") == day)
        #expect(RetryPolicy.parseRetryAfter("inf") == nil)
        #expect(RetryPolicy.parseRetryAfter("NaN") == nil)
        #expect(RetryPolicy.parseRetryAfter("-1e300") == nil)
        #expect(RetryPolicy.parseRetryAfter("-0") == .zero)
        #expect(RetryPolicy.parseRetryAfter("Fri, 31 Dec 9999 23:59:59 GMT") == day)
    }

    @Test("a cassette whose timings cannot be slept is refused when it is read",
          arguments: [#""latency_ms": 1e300"#, #""latency_ms": -1"#, #""latency_ms": -1e300"#])
    func cassetteTimings(_ field: String) throws {
        let directory = try temporaryDirectory()
        let url = URL(fileURLWithPath: directory + "/bad.json")
        try Data("""
            {"version": 1, "interactions": [{"endpoint": "chat/completions", "model": "m", "occurrence": 0,
             "request": {}, "response": {}, \(field)}]}
            """.utf8).write(to: url)
        #expect(throws: CassetteFormatError.self) { try CassetteFile.read(from: url) }
        let chunks = """
            {"version": 1, "interactions": [{"endpoint": "chat/completions", "model": "m", "occurrence": 0,
             "request": {}, "chunks": [{"offset_ms": 1e300, "data": "x"}]}]}
            """
        try Data(chunks.utf8).write(to: url)
        #expect(throws: CassetteFormatError.self) { try CassetteFile.read(from: url) }
    }

    @Test("a question_count that is not a whole number ≥ 0 is rejected with its line and column",
          arguments: ["1e300", "-1e300", "NaN", "99999999999999999999", "-1", "2.5"])
    func csvCounts(_ count: String) throws {
        let csv = "question_count,topic_name,typical_question,standard_script,risk_notes\n\(count),t,q?,s,\n"
        #expect(throws: KnowledgeBaseImportError(line: 2, column: "question_count", reason: "\"\(count)\" is not a whole number ≥ 0")) {
            try KnowledgeBaseCSV.parse(Data(csv.utf8))
        }
        let negativeZero = "question_count,topic_name,typical_question,standard_script,risk_notes\n-0,t,q?,s,\n"
        #expect(try KnowledgeBaseCSV.parse(Data(negativeZero.utf8)).entries.first?.questionCount == 0)
    }

    @Test("persona numbers out of range name the field", arguments: [
        (#""age": 1e300"#, "age"), (#""age": -1e300"#, "age"), (#""age": 99999999999999999999"#, "age"),
        (#""talkativeness": 1e300"#, "talkativeness"), (#""talkativeness": -1e300"#, "talkativeness"),
    ])
    func personas(_ field: String, _ name: String) {
        let file = #"{"a": {"name": "A", "system_prompt": "You are A", "# + field + "}}"
        do {
            _ = try PersonaLoader.load(Data(file.utf8), file: "p.json")
            Issue.record("expected a persona error for \(field)")
        } catch {
            #expect("\(error)".contains(name), "\(error)")
        }
    }
}
