import Foundation
import Logging
import VividCrowdCore

/// A secret shaped like a real key, so both the literal and the pattern redaction are exercised.
let testAPIKey = "sk-vividcrowd-test-9f8e7d6c5b4a"

let testModels = LLMClient.Models(chat: "test-model", router: "test-router", evaluation: "test-eval", embedding: "test-embed")

/// An HTTP transport to `baseURL` with fast retries, for tests.
func makeTransport(
    _ baseURL: URL, key: String? = testAPIKey, timeout: Duration = .seconds(60), retries: Int = 2,
    concurrency: Int = 10, logger: Logger = Logger(label: "test")
) -> HTTPTransport {
    HTTPTransport(
        settings: .init(
            chatBaseURL: baseURL, apiKey: key, requestTimeout: timeout, maxConcurrency: concurrency,
            retry: RetryPolicy(maxRetries: retries, baseDelay: .milliseconds(10), maxDelay: .seconds(1))),
        logger: logger)
}

/// Runs `body` with a client over `transport`, shutting the transport down afterwards.
func withClient<T: Sendable>(
    _ transport: HTTPTransport, batchSize: Int = 25, _ body: (LLMClient) async throws -> T
) async throws -> T {
    let client = LLMClient(transport: transport, models: testModels, embeddingBatchSize: batchSize)
    do {
        let result = try await body(client)
        try await transport.shutdown()
        return result
    } catch {
        try? await transport.shutdown()
        throw error
    }
}

/// A fresh empty directory under the system temporary directory.
func temporaryDirectory() throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("vividcrowd-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url.path
}

/// A log handler that keeps every rendered line, for asserting on what was logged.
final class CapturingLogHandler: LogHandler, @unchecked Sendable {
    private let lock = NSLock()
    private var storedLines: [String] = []
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let rendered = "\(event.level) \(event.message) \(event.metadata ?? [:])"
        lock.withLock { storedLines.append(rendered) }
    }

    var lines: [String] { lock.withLock { storedLines } }
}
