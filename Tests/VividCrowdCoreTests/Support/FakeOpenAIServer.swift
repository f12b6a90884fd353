import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import VividCrowdCore
import VividCrowdTesting

/// What the in-test server answers to one request.
enum FakeReply: Sendable {
    /// A JSON body with a status and extra headers.
    case json(status: Int = 200, JSONValue, headers: [String: String] = [:])
    /// An SSE body written as these raw byte pieces, one write each, with a pause between them.
    case sse([[UInt8]], pause: Duration = .milliseconds(5))
    /// Raw bytes with a media type (synthesised audio, a downloaded file).
    case bytes(Data, contentType: String)
    /// Never answer (until the client gives up).
    case hang
}

/// One request the in-test server received.
struct ReceivedRequest: Sendable {
    var path: String
    var authorization: String?
    var body: JSONValue
    var contentType: String? = nil
    var raw = Data()
    /// The query string, for APIs that name the action there (Volcano Engine).
    var query: String? = nil
    /// Every header, lower-cased names.
    var headers: [String: String] = [:]
}

/// Records requests and tracks how many are in flight at once.
actor RequestLog {
    private(set) var requests: [ReceivedRequest] = []
    private(set) var inFlight = 0
    private(set) var maxInFlight = 0

    func begin(_ request: ReceivedRequest) -> Int {
        requests.append(request)
        inFlight += 1
        maxInFlight = max(maxInFlight, inFlight)
        return requests.count - 1
    }

    func end() { inFlight -= 1 }
}

/// A real HTTP server on a loopback port that speaks OpenAI's protocol as a test scripts it.
enum FakeOpenAIServer {
    typealias Behaviour = @Sendable (_ request: ReceivedRequest, _ index: Int) async -> FakeReply

    /// Runs `body` with the base URL (`http://127.0.0.1:PORT/v1`) of a server answering with `behaviour`.
    static func with<T: Sendable>(
        _ behaviour: @escaping Behaviour, _ body: @Sendable (URL, RequestLog) async throws -> T
    ) async throws -> T {
        let log = RequestLog()
        let router = Router()
        let paths = [
            "/v1/chat/completions", "/v1/embeddings", "/v1/audio/transcriptions", "/v1/audio/speech",
            "/api/v1/services/aigc/multimodal-generation/generation", "/api/v1/services/aigc/image2video/face-detect",
            "/api/v1/services/aigc/image2video/video-synthesis",
        ]
        for path in paths {
            router.post(RouterPath(path)) { request, _ -> Response in
                var request = request
                let bytes = try await request.collectBody(upTo: 16 * 1024 * 1024)
                var headers: [String: String] = [:]
                for field in request.headers { headers[field.name.canonicalName.lowercased()] = field.value }
                let received = ReceivedRequest(
                    path: path, authorization: request.headers[.authorization],
                    body: (try? JSONValue.parse(Data(bytes.readableBytesView))) ?? .null,
                    contentType: request.headers[.contentType], raw: Data(bytes.readableBytesView), headers: headers)
                let index = await log.begin(received)
                let reply = await behaviour(received, index)
                return try await respond(reply, log: log)
            }
        }
        router.post("/volc") { request, _ -> Response in
            var request = request
            let bytes = try await request.collectBody(upTo: 1024 * 1024)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName.lowercased()] = field.value }
            // HTTP types carry Host as the request's authority, not as a header field.
            headers["host"] = request.head.authority
            let received = ReceivedRequest(
                path: "/volc", authorization: request.headers[.authorization],
                body: (try? JSONValue.parse(Data(bytes.readableBytesView))) ?? .null, contentType: request.headers[.contentType],
                raw: Data(bytes.readableBytesView), query: request.uri.query, headers: headers)
            let index = await log.begin(received)
            return try await respond(await behaviour(received, index), log: log)
        }
        router.put("/oss-bucket/media/{name}") { request, context -> Response in
            var request = request
            let bytes = try await request.collectBody(upTo: 16 * 1024 * 1024)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName.lowercased()] = field.value }
            let received = ReceivedRequest(
                path: "/oss-bucket/media/" + (context.parameters.get("name") ?? ""), authorization: request.headers[.authorization],
                body: .null, contentType: request.headers[.contentType], raw: Data(bytes.readableBytesView), headers: headers)
            let index = await log.begin(received)
            return try await respond(await behaviour(received, index), log: log)
        }
        router.get("/api/v1/tasks/{id}") { request, context -> Response in
            let received = ReceivedRequest(
                path: "/api/v1/tasks/" + (context.parameters.get("id") ?? ""), authorization: request.headers[.authorization],
                body: .null, contentType: nil)
            let index = await log.begin(received)
            return try await respond(await behaviour(received, index), log: log)
        }
        router.get("/files/{name}") { request, context -> Response in
            let received = ReceivedRequest(
                path: "/files/" + (context.parameters.get("name") ?? ""), authorization: request.headers[.authorization],
                body: .null, contentType: nil)
            let index = await log.begin(received)
            return try await respond(await behaviour(received, index), log: log)
        }
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "fake-openai")
        logger.logLevel = .critical
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in portContinuation.yield(channel.localAddress?.port ?? 0) },
            logger: logger)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await app.run()
                return nil
            }
            var iterator = ports.makeAsyncIterator()
            let port = await iterator.next() ?? 0
            let result = try await body(URL(string: "http://127.0.0.1:\(port)/v1")!, log)
            group.cancelAll()
            return result
        }
    }

    private static func respond(_ reply: FakeReply, log: RequestLog) async throws -> Response {
        switch reply {
        case .json(let status, let json, let headers):
            var fields = HTTPFields()
            fields[.contentType] = "application/json"
            for (name, value) in headers { fields[HTTPField.Name(name)!] = value }
            await log.end()
            return Response(
                status: .init(code: status), headers: fields,
                body: .init(byteBuffer: ByteBuffer(string: json.canonicalString)))
        case .sse(let pieces, let pause):
            var fields = HTTPFields()
            fields[.contentType] = "text/event-stream"
            return Response(
                status: .ok, headers: fields,
                body: .init { writer in
                    for piece in pieces {
                        try await writer.write(ByteBuffer(bytes: piece))
                        try await Task.sleep(for: pause)
                    }
                    await log.end()
                    try await writer.finish(nil)
                })
        case .bytes(let data, let contentType):
            var fields = HTTPFields()
            fields[.contentType] = contentType
            await log.end()
            return Response(status: .ok, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
        case .hang:
            try await Task.sleep(for: .seconds(30))
            await log.end()
            return Response(status: .gatewayTimeout)
        }
    }
}


/// Puts the fake server's address into its replies' links (`from` → `to`), as a real vendor's replies carry its own.
struct LinkRewritingTransport: LLMTransport {
    let inner: any LLMTransport
    let from: String
    let to: String

    func send(_ endpoint: LLMEndpoint, body: JSONValue) async throws -> JSONValue {
        try JSONValue.parse(try await inner.send(endpoint, body: body).canonicalString.replacingOccurrences(of: from, with: to))
    }

    func stream(_ endpoint: LLMEndpoint, body: JSONValue) async throws -> AsyncThrowingStream<StreamPayload, any Error> {
        try await inner.stream(endpoint, body: body)
    }
}
