import Foundation
import Hummingbird
import HummingbirdTesting
import HummingbirdWSTesting
import Logging
import NIOCore
import Testing
import VividCrowdCore
import VividCrowdTesting

@testable import vividcrowd_server

/// `VIVIDCROWD_RECORD=1` (with `scripts/local-models.sh start`) records what the cassette misses; otherwise replay.
let recordingRequested = ProcessInfo.processInfo.environment["VIVIDCROWD_RECORD"] == "1"

/// The settings a test server runs with: a fresh database, the committed `customer-service` cassette.
func testEnvironment(database: String, extra: [String: String] = [:]) -> [String: String] {
    var environment: [String: String] = [
        "DATABASE_PATH": database,
        "CASSETTE_DIR": repositoryRoot.appendingPathComponent("corpora/cassettes").path,
        "CASSETTE_NAME": "customer-service",
        "LLM_MODE": recordingRequested ? "auto" : "replay",
        "MODEL_NAME": "smollm2", "ROUTER_MODEL_NAME": "smollm2", "EVALUATION_MODEL": "smollm2",
        "EMBEDDING_MODEL": "multilingual-e5-small", "REQUEST_TIMEOUT": "120", "LOG_LEVEL": "warning",
        "TRAINING_STAGE_TURNS": repositoryRoot.appendingPathComponent("corpora/sales/stages").path,
    ]
    if recordingRequested {
        let process = ProcessInfo.processInfo.environment
        environment["LLM_BASE_URL"] = process["LOCAL_CHAT_URL"] ?? "http://127.0.0.1:8081/v1"
        environment["EMBEDDING_BASE_URL"] = process["LOCAL_EMBEDDING_URL"] ?? "http://127.0.0.1:8082/v1"
    }
    environment.merge(extra) { _, new in new }
    return environment
}

/// A virtual clock standing at today's local noon: night mode and daily limits see a fixed daytime whenever the
/// tests run, and typing delays pass without sleeping.
func noonClock() -> VirtualClock {
    let calendar = Calendar.current
    let noon = calendar.date(bySettingHour: 12, minute: 0, second: 0, of: Date()) ?? Date()
    return VirtualClock(start: noon)
}

/// Starts the real application on a free loopback port with its own database and a virtual clock, runs `body`,
/// and stops it.
func withTestServer(
    extra: [String: String] = [:], clock: VirtualClock = noonClock(), demo: DemoManifest? = nil,
    customize: (inout ServerServices) -> Void = { _ in },
    _ body: @Sendable (any TestClientProtocol, ServerServices) async throws -> Void
) async throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    var settings = try VividCrowdConfiguration(environment: testEnvironment(database: directory, extra: extra))
    settings.demo = demo
    var logger = Logger(label: "test-server")
    logger.logLevel = .warning
    var started = try await ServerServices.start(
        settings, corpora: repositoryRoot.appendingPathComponent("corpora"), clock: clock, date: { clock.date },
        logger: logger)
    customize(&started)
    let services = started
    let app = Routes.application(services, host: "127.0.0.1", port: 0, logger: logger)
    do {
        try await app.test(.live) { client in try await body(client, services) }
        try await services.llm.shutdown()
    } catch {
        try? await services.llm.shutdown()
        throw error
    }
}

/// A multipart/form-data body with one file field.
func multipartUpload(field: String = "file", fileName: String, contents: Data) -> (body: ByteBuffer, contentType: String) {
    let boundary = "vividcrowd-test-\(UUID().uuidString)"
    var data = Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(field)\"; filename=\"\(fileName)\"\r\n".utf8)
    data += Data("Content-Type: text/csv\r\n\r\n".utf8) + contents + Data("\r\n--\(boundary)--\r\n".utf8)
    return (ByteBuffer(data: data), "multipart/form-data; boundary=\(boundary)")
}

/// POSTs a CSV to the import endpoint.
func importCSV(
    _ client: any TestClientProtocol, fileName: String, contents: Data, headers: HTTPFields = [:]
) async throws -> (status: HTTPResponse.Status, json: JSONValue) {
    let upload = multipartUpload(fileName: fileName, contents: contents)
    var allHeaders = headers
    allHeaders[.contentType] = upload.contentType
    let response = try await client.execute(
        uri: "/api/customer-service/qa/import", method: .post, headers: allHeaders, body: upload.body)
    return (response.status, try JSONValue.parse(String(buffer: response.body)))
}

/// A JSON request and its decoded reply.
func requestJSON(
    _ client: any TestClientProtocol, _ uri: String, method: HTTPRequest.Method = .get, body: String? = nil
) async throws -> (status: HTTPResponse.Status, json: JSONValue) {
    let response = try await client.execute(
        uri: uri, method: method, headers: body == nil ? [:] : [.contentType: "application/json"],
        body: body.map { ByteBuffer(string: $0) })
    return (response.status, try JSONValue.parse(String(buffer: response.body)))
}

/// The original qa.csv's bytes.
let qaCSV: Data = {
    (try? Data(contentsOf: repositoryRoot.appendingPathComponent("corpora/seed/qa.csv"))) ?? Data()
}()

/// Collects what a WebSocket conversation received.
actor FrameLog {
    private(set) var sessionFrame: JSONValue?
    /// The frames received after each sent message, up to and including its `response` or `error` frame.
    private(set) var replies: [[JSONValue]] = []

    func setSession(_ frame: JSONValue) { sessionFrame = frame }
    func append(_ frames: [JSONValue]) { replies.append(frames) }
}

/// Opens the customer-service socket, sends each raw frame and collects the frames that answer it.
func converse(_ client: any TestClientProtocol, path: String = "/api/customer-service/ws", _ messages: [String]) async throws -> FrameLog {
    let log = FrameLog()
    try await client.ws(path) { inbound, outbound, _ in
        var frames = inbound.messages(maxSize: 1 << 20).makeAsyncIterator()
        guard case .text(let first)? = try await frames.next() else { return }
        await log.setSession(try JSONValue.parse(first))
        for message in messages {
            try await outbound.write(.text(message))
            var received: [JSONValue] = []
            while case .text(let text)? = try await frames.next() {
                let frame = try JSONValue.parse(text)
                received.append(frame)
                if ["response", "error"].contains(frame["type"]?.stringValue ?? "") { break }
            }
            await log.append(received)
        }
        try await outbound.close(.normalClosure, reason: nil)
    }
    return log
}

/// Opens the socket at `path`, sends each frame and collects the frames that answer it, up to its `round_end` or
/// `error` (the group-chat and twins sockets close each message with one of these).
func socketRounds(_ client: any TestClientProtocol, _ path: String, _ frames: [String]) async throws -> [[JSONValue]] {
    try await socketLog(client, path, frames).replies
}

/// Like `socketRounds`, keeping the frame the server sends first when `greeting` is set (as `sessionFrame`), and
/// closing each message's frames at the first frame whose type is in `ends`.
func socketLog(
    _ client: any TestClientProtocol, _ path: String, _ frames: [String], greeting: Bool = false,
    endingWith ends: Set<String> = ["round_end", "error"]
) async throws -> FrameLog {
    let log = FrameLog()
    try await client.ws(path) { inbound, outbound, _ in
        var iterator = inbound.messages(maxSize: 1 << 20).makeAsyncIterator()
        if greeting, case .text(let first)? = try await iterator.next() { await log.setSession(try JSONValue.parse(first)) }
        for frame in frames {
            try await outbound.write(.text(frame))
            var received: [JSONValue] = []
            while case .text(let text)? = try await iterator.next() {
                let parsed = try JSONValue.parse(text)
                received.append(parsed)
                if ends.contains(parsed["type"]?.stringValue ?? "") { break }
            }
            await log.append(received)
        }
        try await outbound.close(.normalClosure, reason: nil)
    }
    return log
}

/// `{"message": text}` as a frame.
func messageFrame(_ text: String) -> String { JSONValue.object(["message": .string(text)]).canonicalString }

/// Every server suite, one after another: each starts a real server, and two at once starve a 2-core machine. A
/// test that waits for a frame or a response that never comes fails at the time limit instead of holding the run.
@Suite(.serialized, .timeLimit(.minutes(10))) enum ServerSuites {}

/// POSTs a multipart form to `path`: the text `fields`, then `contents` as the field `file` named `fileName`.
func uploadForm(
    _ client: any TestClientProtocol, _ path: String, fields: [(String, String)], fileName: String, contents: Data,
    headers: HTTPFields = [:]
) async throws -> (status: HTTPResponse.Status, json: JSONValue) {
    let boundary = "vividcrowd-form-\(UUID().uuidString)"
    var body = Data()
    for (name, value) in fields {
        body += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
    }
    body += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(fileName)\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8)
    body += contents + Data("\r\n--\(boundary)--\r\n".utf8)
    var allHeaders = headers
    allHeaders[.contentType] = "multipart/form-data; boundary=\(boundary)"
    let response = try await client.execute(uri: path, method: .post, headers: allHeaders, body: ByteBuffer(data: body))
    return (response.status, try JSONValue.parse(String(buffer: response.body)))
}
