import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// Talks to an OpenAI-compatible server over HTTP with AsyncHTTPClient: retries, timeouts, a concurrency cap.
public final class HTTPTransport: LLMTransport {
    /// Where and how to connect.
    public struct Settings: Sendable {
        public var chatBaseURL: URL
        public var embeddingBaseURL: URL
        public var apiKey: String?
        public var requestTimeout: Duration
        public var maxConcurrency: Int
        public var retry: RetryPolicy

        public init(
            chatBaseURL: URL, embeddingBaseURL: URL? = nil, apiKey: String?, requestTimeout: Duration = .seconds(60),
            maxConcurrency: Int = 10, retry: RetryPolicy = RetryPolicy()
        ) {
            self.chatBaseURL = chatBaseURL
            self.embeddingBaseURL = embeddingBaseURL ?? chatBaseURL
            self.apiKey = apiKey
            self.requestTimeout = requestTimeout
            self.maxConcurrency = maxConcurrency
            self.retry = retry
        }

        /// Settings from the validated configuration.
        public init(_ configuration: VividCrowdConfiguration.LLM) {
            self.init(
                chatBaseURL: configuration.baseURL, embeddingBaseURL: configuration.embeddingBaseURL,
                apiKey: configuration.apiKey, requestTimeout: configuration.requestTimeout,
                maxConcurrency: configuration.maxConcurrency,
                retry: RetryPolicy(maxRetries: configuration.maxRetries))
        }
    }

    private let settings: Settings
    private let httpClient: HTTPClient
    private let ownsHTTPClient: Bool
    private let limiter: AsyncSemaphore
    private let clock: any Clock<Duration>
    private let redactor: Redactor
    private let logger: Logger

    /// A transport with its own HTTP client; call `shutdown()` when done.
    public convenience init(settings: Settings, clock: any Clock<Duration> = ContinuousClock(), logger: Logger) {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(
            connect: .seconds(10), read: .milliseconds(Int64(settings.requestTimeout.seconds * 1000)))
        configuration.decompression = .enabled(limit: .none)
        // Our own retry policy handles refused connections; AHC's would silently retry until the deadline.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = settings.maxConcurrency
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.init(settings: settings, httpClient: client, ownsHTTPClient: true, clock: clock, logger: logger)
    }

    init(settings: Settings, httpClient: HTTPClient, ownsHTTPClient: Bool, clock: any Clock<Duration>, logger: Logger) {
        self.settings = settings
        self.httpClient = httpClient
        self.ownsHTTPClient = ownsHTTPClient
        self.limiter = AsyncSemaphore(permits: settings.maxConcurrency)
        self.clock = clock
        self.redactor = Redactor(secrets: [settings.apiKey])
        self.logger = logger
    }

    /// Closes the HTTP client's connections.
    public func shutdown() async throws {
        if ownsHTTPClient { try await httpClient.shutdown() }
    }

    public func send(_ endpoint: LLMEndpoint, body: JSONValue) async throws -> JSONValue {
        try await limiter.withPermit {
            try await self.withRetries(endpoint) {
                let timeout = self.settings.requestTimeout
                do {
                    return try await withTimeout(timeout, clock: self.clock) {
                        let response = try await self.execute(endpoint, body: body)
                        let bytes = try await response.body.collect(upTo: 256 * 1024 * 1024)
                        guard response.status == .ok else {
                            throw self.failure(status: response.status, headers: response.headers, body: bytes, request: body)
                        }
                        do {
                            return try JSONValue.parse(Data(bytes.readableBytesView))
                        } catch {
                            throw LLMError.malformedResponse(
                                "\(endpoint.rawValue) reply is not JSON: "
                                    + self.redactor.redact(String(buffer: bytes).prefix(200).description))
                        }
                    }
                } catch is TimeoutError {
                    throw LLMError.timeout(seconds: timeout.seconds)
                }
            }
        }
    }

    public func stream(_ endpoint: LLMEndpoint, body: JSONValue) async throws -> AsyncThrowingStream<
        StreamPayload, any Error
    > {
        try await limiter.acquire()
        let elapsed = startStopwatch(on: clock)
        let response: HTTPClientResponse
        do {
            response = try await withRetries(endpoint) {
                let response = try await self.execute(endpoint, body: body)
                guard response.status == .ok else {
                    let bytes = try await response.body.collect(upTo: 1024 * 1024)
                    throw self.failure(status: response.status, headers: response.headers, body: bytes, request: body)
                }
                return response
            }
        } catch {
            await limiter.release()
            throw error
        }
        let (stream, continuation) = AsyncThrowingStream<StreamPayload, any Error>.makeStream()
        let reader = Task {
            var parser = SSEParser()
            do {
                for try await buffer in response.body {
                    for event in parser.feed(buffer.readableBytesView) {
                        continuation.yield(StreamPayload(data: event.data, offset: elapsed()))
                    }
                }
                for event in parser.finish() {
                    continuation.yield(StreamPayload(data: event.data, offset: elapsed()))
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: self.translate(error))
            }
            await self.limiter.release()
        }
        continuation.onTermination = { _ in reader.cancel() }
        return stream
    }

    // MARK: - HTTP

    private func execute(_ endpoint: LLMEndpoint, body: JSONValue) async throws -> HTTPClientResponse {
        let base = endpoint == .embeddings ? settings.embeddingBaseURL : settings.chatBaseURL
        let url = base.appendingPathComponent(endpoint.rawValue)
        if settings.apiKey == nil, base.host?.hasSuffix("dashscope.aliyuncs.com") == true {
            throw LLMError.missingAPIKey(endpoint: base.absoluteString)
        }
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/json, text/event-stream")
        if let key = settings.apiKey { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
        request.body = .bytes(ByteBuffer(string: body.canonicalString))
        do {
            return try await httpClient.execute(
                request, timeout: .milliseconds(Int64(settings.requestTimeout.seconds * 1000)))
        } catch {
            throw translate(error)
        }
    }

    /// A failure that may be retried, carrying the server's requested wait.
    private struct RetryableFailure: Error {
        let error: LLMError
        let retryAfter: Duration?
    }

    private func withRetries<T: Sendable>(
        _ endpoint: LLMEndpoint, _ attempt: @Sendable () async throws -> T
    ) async throws -> T {
        var retry = 0
        while true {
            do {
                return try await attempt()
            } catch let failure as RetryableFailure {
                try await backOff(endpoint, retry: &retry, error: failure.error, retryAfter: failure.retryAfter)
            } catch let error as LLMError where error.isRetryable {
                try await backOff(endpoint, retry: &retry, error: error, retryAfter: nil)
            }
        }
    }

    private func backOff(_ endpoint: LLMEndpoint, retry: inout Int, error: LLMError, retryAfter: Duration?)
        async throws
    {
        guard retry < settings.retry.maxRetries else { throw error }
        let delay = settings.retry.delay(forAttempt: retry, retryAfter: retryAfter)
        retry += 1
        logger.warning(
            "LLM call failed, retrying",
            metadata: [
                "endpoint": "\(endpoint.rawValue)", "retry": "\(retry)", "delay_s": "\(delay.seconds)",
                "error": "\(error.description)",
            ])
        try await clock.sleep(for: delay)
    }

    private func failure(status: HTTPResponseStatus, headers: HTTPHeaders, body: ByteBuffer, request: JSONValue)
        -> any Error
    {
        let raw = String(buffer: body)
        let json = try? JSONValue.parse(raw)
        let errorObject = json?["error"] ?? json
        let code = errorObject?["code"]?.stringValue ?? errorObject?["type"]?.stringValue ?? ""
        let message = redactor.redact(
            errorObject?["message"]?.stringValue ?? (raw.isEmpty ? status.reasonPhrase : String(raw.prefix(300))))
        let lowered = (code + " " + message).lowercased()
        switch status.code {
        case 401, 403:
            return LLMError.authentication(status: Int(status.code), message: message)
        case 429:
            if lowered.contains("insufficient_quota") || lowered.contains("quota") && !lowered.contains("rate") {
                return LLMError.quotaExceeded(message: message)
            }
            return RetryableFailure(
                error: .quotaExceeded(message: message),
                retryAfter: RetryPolicy.parseRetryAfter(headers.first(name: "Retry-After")))
        case 500...599:
            return RetryableFailure(
                error: .server(status: Int(status.code), message: message),
                retryAfter: RetryPolicy.parseRetryAfter(headers.first(name: "Retry-After")))
        default:
            if lowered.contains("model_not_found") || lowered.contains("model")
                && (lowered.contains("not found") || lowered.contains("not exist") || lowered.contains("does not exist"))
            {
                return LLMError.unknownModel(model: request["model"]?.stringValue ?? "?", message: message)
            }
            return LLMError.badRequest(status: Int(status.code), message: message)
        }
    }

    private func translate(_ error: any Error) -> any Error {
        if error is LLMError || error is CancellationError || error is RetryableFailure { return error }
        if let clientError = error as? HTTPClientError {
            switch clientError {
            case .deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout:
                return LLMError.timeout(seconds: settings.requestTimeout.seconds)
            case .cancelled:
                return CancellationError()
            default:
                return LLMError.connection(message: redactor.redact(String(describing: clientError)))
            }
        }
        if Task.isCancelled { return CancellationError() }
        return LLMError.connection(message: redactor.redact(String(describing: error)))
    }
}
