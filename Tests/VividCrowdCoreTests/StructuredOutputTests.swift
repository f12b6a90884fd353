import Foundation
import Testing
@testable import VividCrowdCore
import VividCrowdTesting

/// Answers chat calls from a script, in order, and keeps each request body.
private actor ScriptedAnswers: LLMTransport {
    var answers: [Result<String, LLMError>]
    private(set) var bodies: [JSONValue] = []

    init(_ answers: [Result<String, LLMError>]) { self.answers = answers }

    func send(_ endpoint: LLMEndpoint, body: JSONValue) async throws -> JSONValue {
        bodies.append(body)
        guard !answers.isEmpty else { throw LLMError.malformedResponse("script exhausted") }
        return OpenAIFixtures.completion(try answers.removeFirst().get())
    }

    nonisolated func stream(_ endpoint: LLMEndpoint, body: JSONValue) async throws -> AsyncThrowingStream<StreamPayload, any Error> {
        throw LLMError.malformedResponse("no streams here")
    }
}

private struct Pick: Codable, Sendable, Equatable {
    var colour: String
}

private let schema: JSONValue = [
    "type": "object", "properties": ["colour": ["type": "string"]], "required": ["colour"],
]

private func request(attempts: Int = 3) -> StructuredRequest<Pick> {
    StructuredRequest<Pick>(
        model: "test-router", messages: [.system("Pick a colour."), .user("go")], schema: schema, seed: 5,
        maxTokens: 20, attempts: attempts,
        validate: { pick in
            guard ["red", "blue"].contains(pick.colour) else { throw StructuredOutputProblem("\(pick.colour) is not red or blue") }
            return pick
        })
}

@Suite("Structured LLM output")
struct StructuredOutputTests {
    @Test("an answer in prose around the JSON decodes; the schema is sent only to local servers")
    func decodes() async throws {
        for local in [false, true] {
            let transport = ScriptedAnswers([.success("Sure! ```json\n{\"colour\": \"red\"}\n```")])
            let client = LLMClient(transport: transport, models: testModels, sendsLocalSchema: local)
            #expect(try await client.structured(request()) == Pick(colour: "red"))
            let body = try #require(await transport.bodies.first)
            #expect(body["response_format"]?["type"]?.stringValue == "json_object")
            #expect((body["response_format"]?["schema"] == schema) == local)
            #expect(body["seed"]?.intValue == 5)
        }
    }

    @Test("an unusable answer is retried with the problem told to the model, and the next seed")
    func retriesWithTheProblem() async throws {
        let transport = ScriptedAnswers([.success(#"{"colour": "green"}"#), .success("no idea"), .success(#"{"colour": "blue"}"#)])
        let client = LLMClient(transport: transport, models: testModels)
        #expect(try await client.structured(request()) == Pick(colour: "blue"))
        let bodies = await transport.bodies
        #expect(bodies.map { $0["seed"]?.intValue } == [5, 6, 7])
        let second = bodies[1]["messages"]?.arrayValue ?? []
        #expect(second.count == 4)
        #expect(second[2]["role"]?.stringValue == "assistant" && second[2]["content"]?.stringValue == #"{"colour": "green"}"#)
        #expect(second[3]["content"]?.stringValue?.contains("green is not red or blue") == true)
        let third = bodies[2]["messages"]?.arrayValue ?? []
        #expect(third.count == 4, "each retry restates the original prompt and only the latest problem")
        #expect(third[3]["content"]?.stringValue?.contains("no JSON object") == true)
    }

    @Test("after the last attempt a typed error lists each attempt's problem, failed calls included")
    func exhausts() async throws {
        let transport = ScriptedAnswers([.failure(.timeout(seconds: 1)), .success(#"{"shade": "red"}"#)])
        let client = LLMClient(transport: transport, models: testModels)
        do {
            _ = try await client.structured(request(attempts: 2))
            Issue.record("expected StructuredOutputError")
        } catch let error as StructuredOutputError {
            #expect(error.problems.count == 2)
            guard case .callFailed = error.problems[0] else { Issue.record("first should be a failed call"); return }
            #expect(error.problems[1] == .invalidAnswer("the JSON does not match the schema"))
        }
        #expect(await transport.bodies.count == 2)
    }
}
