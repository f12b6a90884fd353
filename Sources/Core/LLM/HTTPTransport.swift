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
        /// Where OpenAI-compatible audio endpoints are (`audio/transcriptions`, `audio/speech`).
        public var speechBaseURL: URL
        /// DashScope's native API (its speech models), `https://dashscope.aliyuncs.com/api/v1` by default.
        public var dashScopeAPIBaseURL: URL
        /// Volcano Engine's visual API (talking-head video), `https://visual.volcengineapi.com` by default.
        public var volcengineBaseURL = URL(string: "https://visual.volcengineapi.com")!
        /// Signs Volcano Engine calls; nil when its keys are not set.
        public var volcengineSigner: VolcengineSigner?
        /// Signs object-storage uploads; nil when the `OSS_*` keys are not set.
        public var ossSigner: OSSSigner?
        public var apiKey: String?
        public var requestTimeout: Duration
        public var maxConcurrency: Int
        public var retry: RetryPolicy

        public init(
            chatBaseURL: URL, embeddingBaseURL: URL? = nil, speechBaseURL: URL? = nil, dashScopeAPIBaseURL: URL? = nil,
            apiKey: String?, requestTimeout: Duration = .seconds(60), maxConcurrency: Int = 10,
            retry: RetryPolicy = RetryPolicy()
        ) {
            self.chatBaseURL = chatBaseURL
            self.embeddingBaseURL = embeddingBaseURL ?? chatBaseURL
            self.speechBaseURL = speechBaseURL ?? chatBaseURL
            self.dashScopeAPIBaseURL = dashScopeAPIBaseURL ?? URL(string: VividCrowdConfiguration.dashScopeAPIBaseURL)!
            self.apiKey = apiKey
            self.requestTimeout = requestTimeout
            self.maxConcurrency = maxConcurrency
            self.retry = retry
        }

        /// Settings from the validated configuration.
        public init(_ configuration: VividCrowdConfiguration.LLM) {
            self.init(
                chatBaseURL: configuration.baseURL, embeddingBaseURL: configuration.embeddingBaseURL,
                speechBaseURL: configuration.speechBaseURL, dashScopeAPIBaseURL: configuration.dashScopeAPIBaseURL,
                apiKey: configuration.apiKey, requestTimeout: configuration.requestTimeout,
                maxConcurrency: configuration.maxConcurrency,
                retry: RetryPolicy(maxRetries: configuration.maxRetries))
            if let url = configuration.volcengineBaseURL { volcengineBaseURL = url }
            if let access = configuration.volcengineAccessKey, let secret = configuration.volcengineSecretKey {
                volcengineSigner = VolcengineSigner(accessKey: access, secretKey: secret)
            }
            if let storage = configuration.objectStorage {
                ossSigner = OSSSigner(accessKeyID: storage.accessKeyID, accessKeySecret: storage.accessKeySecret)
            }
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
        self.redactor = Redactor(
            secrets: [
                settings.apiKey, settings.volcengineSigner?.secretKey, settings.volcengineSigner?.accessKey,
                settings.ossSigner?.accessKeySecret, settings.ossSigner?.accessKeyID,
            ])
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
                        if endpoint.repliesWithBytes {
                            return BinaryBody.reply(
                                Data(bytes.readableBytesView),
                                contentType: response.headers.first(name: "Content-Type") ?? "application/octet-stream")
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
        var request: HTTPClientRequest
        if endpoint == .download {
            // A link a reply handed out (signed storage): fetched without our credentials, which are not its host's.
            guard let link = body["url"]?.stringValue, let url = URL(string: link), url.scheme == "https" || url.scheme == "http"
            else { throw LLMError.malformedResponse("the reply's audio link is not an http(s) URL") }
            request = HTTPClientRequest(url: url.absoluteString)
            request.method = .GET
        } else if endpoint == .volcengineSubmit || endpoint == .volcengineResult {
            request = try volcengineRequest(endpoint, body: body)
        } else if endpoint == .objectPut {
            request = try objectPutRequest(body)
        } else {
            let base: URL
            switch endpoint {
            case .embeddings: base = settings.embeddingBaseURL
            case .audioTranscriptions, .audioSpeech: base = settings.speechBaseURL
            case .dashScopeGeneration, .dashScopeFaceDetect, .dashScopeVideoSynthesis, .dashScopeTask:
                base = settings.dashScopeAPIBaseURL
            default: base = settings.chatBaseURL
            }
            if settings.apiKey == nil, base.host?.hasSuffix("dashscope.aliyuncs.com") == true {
                throw LLMError.missingAPIKey(endpoint: base.absoluteString)
            }
            if endpoint == .dashScopeTask {
                // The id goes into the path: only the characters task ids are made of.
                guard let id = body["task_id"]?.stringValue, !id.isEmpty, id.count <= 128,
                    id.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_" })
                else { throw LLMError.malformedResponse("the task id is not one DashScope makes") }
                request = HTTPClientRequest(url: base.appendingPathComponent("tasks").appendingPathComponent(id).absoluteString)
                request.method = .GET
            } else {
                request = HTTPClientRequest(url: base.appendingPathComponent(endpoint.rawValue).absoluteString)
                request.method = .POST
                if endpoint == .audioTranscriptions {
                    let form = try MultipartForm.transcription(body)
                    request.headers.add(name: "Content-Type", value: form.contentType)
                    request.body = .bytes(ByteBuffer(bytes: form.encoded))
                } else {
                    request.headers.add(name: "Content-Type", value: "application/json")
                    request.body = .bytes(ByteBuffer(string: body.canonicalString))
                }
            }
            if endpoint == .dashScopeVideoSynthesis { request.headers.add(name: "X-DashScope-Async", value: "enable") }
            request.headers.add(
                name: "Accept", value: endpoint.repliesWithBytes ? "audio/*" : "application/json, text/event-stream")
            if let key = settings.apiKey { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
        }
        do {
            return try await httpClient.execute(
                request, timeout: .milliseconds(Int64(settings.requestTimeout.seconds * 1000)))
        } catch {
            throw translate(error)
        }
    }

    /// A call of Volcano Engine's visual API: the action in the query, the body signed with its keys.
    private func volcengineRequest(_ endpoint: LLMEndpoint, body: JSONValue) throws -> HTTPClientRequest {
        guard let signer = settings.volcengineSigner else {
            throw LLMError.missingAPIKey(endpoint: settings.volcengineBaseURL.absoluteString)
        }
        guard var components = URLComponents(url: settings.volcengineBaseURL, resolvingAgainstBaseURL: false),
            let host = components.host
        else { throw LLMError.connection(message: "the Volcano Engine base URL has no host") }
        let query = ["Action": endpoint.rawValue, "Version": "2022-08-31"]
        components.percentEncodedQuery = VolcengineSigner.canonicalQuery(query)
        if components.path.isEmpty { components.path = "/" }
        let payload = Data(body.canonicalString.utf8)
        let hostHeader = components.port.map { "\(host):\($0)" } ?? host
        var request = HTTPClientRequest(url: components.string ?? settings.volcengineBaseURL.absoluteString)
        request.method = .POST
        let signed = signer.sign(
            method: "POST", path: components.path, query: query,
            headers: ["Content-Type": "application/json", "Host": hostHeader], body: payload, date: Date())
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Host", value: hostHeader)
        for (name, value) in signed.sorted(by: { $0.key < $1.key }) { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: payload))
        return request
    }

    /// An OSS `PutObject`: the file's bytes to its URL, signed for `/bucket/key`.
    private func objectPutRequest(_ body: JSONValue) throws -> HTTPClientRequest {
        guard let signer = settings.ossSigner else { throw LLMError.missingAPIKey(endpoint: "object storage") }
        guard let link = body["url"]?.stringValue, let url = URL(string: link), url.scheme == "https" || url.scheme == "http",
            let bucket = body["bucket"]?.stringValue, let key = body["key"]?.stringValue,
            let file = BinaryBody.fileParts(body["file"])
        else { throw LLMError.badRequest(status: 0, message: "an upload needs url, bucket, key and file") }
        let date = OSSSigner.httpDate(Date())
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .PUT
        request.headers.add(name: "Content-Type", value: file.contentType)
        request.headers.add(name: "Date", value: date)
        request.headers.add(
            name: "Authorization",
            value: signer.authorization(method: "PUT", bucket: bucket, key: key, contentType: file.contentType, date: date))
        request.body = .bytes(ByteBuffer(bytes: file.data))
        return request
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
