import Foundation
import Logging
import VividCrowdCore
import VividCrowdTesting

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

