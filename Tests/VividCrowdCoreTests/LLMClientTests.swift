import Foundation
import Logging
import Testing
import VividCrowdCore
import VividCrowdTesting

@Suite("LLM client over HTTP")
struct LLMClientTests {
    @Test("a non-streamed completion is parsed, with usage, and the key is sent as a bearer token")
    func completion() async throws {
        try await FakeOpenAIServer.with({ _, _ in .json(OpenAIFixtures.completion("pong")) }) { url, log in
            try await withClient(makeTransport(url)) { client in
                let reply = try await client.complete(
                    ChatRequest(model: "test-model", messages: [.system("be brief"), .user("ping")], temperature: 0, seed: 7,
                                maxTokens: 5, responseFormat: .jsonObject()))
                #expect(reply.content == "pong")
                #expect(reply.usage?.totalTokens == 10)
                let sent = try #require(await log.requests.first)
                #expect(sent.authorization == "Bearer \(testAPIKey)")
                #expect(sent.body["seed"]?.intValue == 7)
                #expect(sent.body["max_tokens"]?.intValue == 5)
                #expect(sent.body["temperature"]?.doubleValue == 0)
                #expect(sent.body["response_format"]?["type"]?.stringValue == "json_object")
                #expect(sent.body["messages"]?[0]?["role"]?.stringValue == "system")
                #expect(sent.body["stream"] == nil)
            }
        }
    }

    @Test("a stream whose lines and UTF-8 characters are split across writes is reassembled")
    func splitStream() async throws {
        let text = OpenAIFixtures.stream(["你好，", "世界", "! ok"])
        let bytes = Array(text.utf8)
        // Cut at odd offsets: inside "data:", inside JSON, and inside three-byte characters.
        let pieces = stride(from: 0, to: bytes.count, by: 7).map { Array(bytes[$0..<min($0 + 7, bytes.count)]) }
        try await FakeOpenAIServer.with({ _, _ in .sse([Array(": ping\n\n".utf8)] + pieces, pause: .milliseconds(2)) }) { url, log in
            try await withClient(makeTransport(url)) { client in
                var deltas: [String] = []
                var finish: String?
                for try await event in client.stream(ChatRequest(model: "test-model", messages: [.user("hi")])) {
                    switch event {
                    case .delta(let piece): deltas.append(piece)
                    case .finished(let reason, _): finish = reason
                    }
                }
                #expect(deltas == ["你好，", "世界", "! ok"])
                #expect(finish == "stop")
                #expect(await log.requests.first?.body["stream"] == true)
            }
        }
    }

    @Test("an error arriving mid-stream surfaces as a stream error after the text before it")
    func errorMidStream() async throws {
        let body = OpenAIFixtures.chunk("partial") + "data: {\"error\":{\"message\":\"model overloaded\"}}\n\n"
        try await FakeOpenAIServer.with({ _, _ in .sse([Array(body.utf8)]) }) { url, _ in
            try await withClient(makeTransport(url)) { client in
                var received = ""
                await #expect(throws: LLMError.streamError(message: "model overloaded")) {
                    for try await event in client.stream(ChatRequest(model: "test-model", messages: [.user("hi")])) {
                        if case .delta(let piece) = event { received += piece }
                    }
                }
                #expect(received == "partial")
            }
        }
    }

    @Test("a stream cut off before [DONE] or a finish reason is an error, not a short reply")
    func truncatedStream() async throws {
        _ = try await FakeOpenAIServer.with({ _, _ in .sse([Array(OpenAIFixtures.chunk("half").utf8)]) }) { url, _ in
            try await withClient(makeTransport(url)) { client in
                await #expect(throws: LLMError.self) {
                    _ = try await client.stream(ChatRequest(model: "test-model", messages: [.user("hi")])).collectText()
                }
            }
        }
    }

    @Test("429 is retried after Retry-After and then succeeds")
    func rateLimitThenSuccess() async throws {
        try await FakeOpenAIServer.with({ _, index in
            index == 0
                ? .json(status: 429, OpenAIFixtures.error("slow down", code: "rate_limit_exceeded"), headers: ["Retry-After": "0.05"])
                : .json(OpenAIFixtures.completion("finally"))
        }) { url, log in
            let handler = CapturingLogHandler()
            try await withClient(makeTransport(url, logger: Logger(label: "test") { _ in handler })) { client in
                let reply = try await client.complete(ChatRequest(model: "test-model", messages: [.user("hi")]))
                #expect(reply.content == "finally")
                #expect(await log.requests.count == 2)
                // The one retry waited what Retry-After asked for.
                let retries = handler.lines.filter { $0.contains("retrying") }
                #expect(retries.count == 1 && retries.first?.contains(#""delay_s": 0.05"#) == true, "\(retries)")
            }
        }
    }

    @Test("5xx is retried up to the limit, then reported as a server error")
    func serverErrorsExhaustRetries() async throws {
        try await FakeOpenAIServer.with({ _, _ in .json(status: 503, ["error": ["message": "busy"]]) }) { url, log in
            try await withClient(makeTransport(url, retries: 2)) { client in
                await #expect(throws: LLMError.server(status: 503, message: "busy")) {
                    _ = try await client.complete(ChatRequest(model: "test-model", messages: [.user("hi")]))
                }
                #expect(await log.requests.count == 3)
            }
        }
    }

    @Test("client errors are not retried and are typed", arguments: [
        (401, "invalid_api_key", "authentication"), (404, "model_not_found", "unknownModel"),
        (400, "invalid_parameter", "badRequest"), (429, "insufficient_quota", "quotaExceeded"),
    ])
    func typedClientErrors(status: Int, code: String, kind: String) async throws {
        let message = code == "model_not_found" ? "The model `nope` does not exist" : "failed: \(code)"
        try await FakeOpenAIServer.with({ _, _ in .json(status: status, OpenAIFixtures.error(message, code: code)) }) { url, log in
            try await withClient(makeTransport(url)) { client in
                do {
                    _ = try await client.complete(ChatRequest(model: "nope", messages: [.user("hi")]))
                    Issue.record("expected an error")
                } catch let error as LLMError {
                    if kind == "unknownModel" { #expect(String(describing: error).contains("does not know model 'nope'")) }
                    switch (kind, error) {
                    case ("authentication", .authentication), ("unknownModel", .unknownModel), ("badRequest", .badRequest),
                        ("quotaExceeded", .quotaExceeded):
                        break
                    default: Issue.record("expected \(kind), got \(error)")
                    }
                }
                #expect(await log.requests.count == 1)
            }
        }
    }

    @Test("a server that does not answer within the request timeout gives a timeout error", .timeLimit(.minutes(1)))
    func timeout() async throws {
        _ = try await FakeOpenAIServer.with({ _, _ in .hang }) { url, _ in
            try await withClient(makeTransport(url, timeout: .milliseconds(300), retries: 0)) { client in
                await #expect(throws: LLMError.timeout(seconds: 0.3)) {
                    _ = try await client.complete(ChatRequest(model: "test-model", messages: [.user("hi")]))
                }
            }
        }
    }

    @Test("a refused connection is a connection error")
    func connectionRefused() async throws {
        // Port 9 (discard) is not listening on loopback here.
        try await withClient(makeTransport(URL(string: "http://127.0.0.1:9/v1")!, retries: 0)) { client in
            do {
                _ = try await client.complete(ChatRequest(model: "test-model", messages: [.user("hi")]))
                Issue.record("expected a connection error")
            } catch let error as LLMError {
                guard case .connection = error else { Issue.record("expected .connection, got \(error)"); return }
            }
        }
    }

    @Test("embeddings are fetched in batches of the configured size and returned in input order")
    func embeddingBatches() async throws {
        let texts = (0..<7).map { "text number \($0)" }
        try await FakeOpenAIServer.with({ request, _ in
            let inputs = request.body["input"]?.arrayValue?.compactMap(\.stringValue) ?? []
            return .json(OpenAIFixtures.embeddings(inputs))
        }) { url, log in
            try await withClient(makeTransport(url), batchSize: 3) { client in
                let vectors = try await client.embed(texts, inputType: "passage")
                #expect(vectors == texts.map(OpenAIFixtures.vector(for:)))
                let sizes = await log.requests.map { $0.body["input"]?.arrayValue?.count ?? 0 }.sorted()
                #expect(sizes == [1, 3, 3])
                #expect(await log.requests.allSatisfy { $0.body["input_type"]?.stringValue == "passage" })
                #expect(await client.meter.snapshot.embeddedTexts == 7)
            }
        }
    }

    @Test("no more requests than the concurrency cap are in flight at once")
    func concurrencyCap() async throws {
        try await FakeOpenAIServer.with({ _, _ in
            try? await Task.sleep(for: .milliseconds(40))
            return .json(OpenAIFixtures.completion("ok"))
        }) { url, log in
            try await withClient(makeTransport(url, concurrency: 2)) { client in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0..<8 {
                        group.addTask {
                            _ = try await client.complete(ChatRequest(model: "test-model", messages: [.user("\(index)")]))
                        }
                    }
                    try await group.waitForAll()
                }
                #expect(await log.requests.count == 8)
                #expect(await log.maxInFlight <= 2)
            }
        }
    }

    @Test("cancelling the consumer of a stream ends it before the server has sent everything", .timeLimit(.minutes(1)))
    func cancellation() async throws {
        let pieces = (0..<200).map { Array(OpenAIFixtures.chunk("tick \($0) ").utf8) }
        try await FakeOpenAIServer.with({ _, _ in .sse(pieces, pause: .milliseconds(20)) }) { url, _ in
            try await withClient(makeTransport(url)) { client in
                let (fifth, arrived) = AsyncStream<Void>.makeStream()
                let consumer = Task {
                    var count = 0
                    for try await _ in client.stream(ChatRequest(model: "test-model", messages: [.user("hi")])) {
                        count += 1
                        if count == 5 { arrived.yield() }
                    }
                    return count
                }
                for await _ in fifth { break }
                consumer.cancel()
                let received = (try? await consumer.value) ?? 0
                #expect(received < 200)
            }
        }
    }
}
