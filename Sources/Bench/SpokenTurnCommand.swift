import ArgumentParser
import AsyncHTTPClient
import Foundation
import HummingbirdWSClient
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import VividCrowdCore

/// A spoken sales-training turn, end to end against a running server: the trainee's recording transcribed, the
/// heard line sent on the training socket with `voice`, the customer's spoken reply fetched.
struct SpokenTurnCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spoken-turn",
        abstract: "Round trip of a spoken training turn (hear → evaluate and reply → speak → fetch) on a running vividcrowd-server.",
        discussion: """
            Each timed turn opens a new training session with the server's first customer (so every turn makes the
            same requests, which a replaying server answers from its cassette), then: POST the WAV to
            /api/digital-customer/audio/transcribe, send {"message": heard, "voice": true} on the session's socket,
            wait for customer_response with audio_url and GET it. scripts/voice-latency.sh records the cassette
            against the local models once and replays it for this. Writes reports/spoken-turn.{md,json}.
            """)

    @Option(help: "The server's base URL.")
    var url = "http://127.0.0.1:8000"

    @Option(help: "The trainee's recording (WAV).")
    var audio = "Tests/Fixtures/speech/price-of-the-product.wav"

    @Option(help: "Timed turns (one session each).")
    var count = 30

    @Option(help: "Untimed turns first.")
    var warmup = 3

    @Option(help: "Directory for the reports.")
    var reports = "reports"

    struct Report: Codable {
        var url: String
        var heard: String
        var turns: Int
        var totalMs: LatencySummary
        var hearMs: LatencySummary
        var replyMs: LatencySummary
        var fetchMs: LatencySummary
        var replySeconds: Double

        enum CodingKeys: String, CodingKey {
            case url, heard, turns
            case totalMs = "total_ms"
            case hearMs = "hear_ms"
            case replyMs = "reply_ms"
            case fetchMs = "fetch_ms"
            case replySeconds = "reply_audio_seconds"
        }
    }

    /// One turn's parts, in milliseconds, and what was heard and said.
    struct Turn {
        var hear: Double
        var reply: Double
        var fetch: Double
        var heard: String
        var replySeconds: Double
        var total: Double { hear + reply + fetch }
    }

    func run() async throws {
        let recording = try Data(contentsOf: URL(fileURLWithPath: audio))
        let base = url.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        var turns: [Turn] = []
        do {
            let customers = try await Self.json(http, .GET, base + "/api/digital-customer")
            guard let customerID = customers.arrayValue?.first?["id"]?.doubleValue else {
                throw CommandFailure("the server has no customer: start it with --seed-customers")
            }
            for index in 0..<(warmup + count) {
                let turn = try await spokenTurn(http, base: base, customerID: Int(customerID), recording: recording)
                if index >= warmup { turns.append(turn) }
                if (index + 1) % 10 == 0 { progress("spoken-turn: \(index + 1)/\(warmup + count)") }
            }
        } catch {
            try await http.shutdown()
            throw error
        }
        try await http.shutdown()
        let report = Report(
            url: url, heard: turns.first?.heard ?? "", turns: turns.count, totalMs: LatencySummary(milliseconds: turns.map(\.total)),
            hearMs: LatencySummary(milliseconds: turns.map(\.hear)), replyMs: LatencySummary(milliseconds: turns.map(\.reply)),
            fetchMs: LatencySummary(milliseconds: turns.map(\.fetch)), replySeconds: turns.first?.replySeconds ?? 0)
        func row(_ name: String, _ summary: LatencySummary) -> String {
            "| \(name) | \(String(format: "%.1f", summary.p50)) | \(String(format: "%.1f", summary.p95)) | \(String(format: "%.1f", summary.mean)) |"
        }
        let markdown = """
            # A spoken training turn, round trip

            \(report.turns) turns (after \(warmup) untimed), each in a new session with the server's first customer, against
            \(url): the trainee's recording (`\(audio)`, heard as "\(report.heard)") transcribed by the server, the heard
            line sent on the training socket with `"voice": true`, and the customer's spoken reply (\(String(format: "%.1f", report.replySeconds)) s of
            audio) fetched. LLM calls are replayed from a cassette, so this is the server's own work: recognition,
            evaluation and stage detection, the copilot's retrieval, synthesis and the socket and HTTP hops.

            | part | p50 ms | p95 ms | mean ms |
            |---|---|---|---|
            \(row("hear: POST /api/digital-customer/audio/transcribe", report.hearMs))
            \(row("reply: message sent → customer_response with audio_url", report.replyMs))
            \(row("fetch: GET audio_url", report.fetchMs))
            \(row("**round trip**", report.totalMs))

            Reproduce: `scripts/voice-latency.sh` (release build, LLM_MODE=replay, corpora/cassettes/spoken-turn.json).

            """
        try writeText(markdown, to: reports + "/spoken-turn.md")
        try writeJSON(report, to: reports + "/spoken-turn.json")
        print(markdown)
    }

    private func spokenTurn(_ http: HTTPClient, base: String, customerID: Int, recording: Data) async throws -> Turn {
        let started = try await Self.json(
            http, .POST, base + "/api/digital-customer/training/sessions/start",
            body: .object(["customer_id": .number(Double(customerID)), "user_id": .string("spoken-turn-bench")]))
        guard let sessionID = started["session_id"]?.stringValue else {
            throw CommandFailure("no session id in \(started.canonicalString)")
        }
        var clock = ContinuousClock.now
        let transcript = try await Self.request(http, .POST, base + "/api/digital-customer/audio/transcribe", body: recording, type: "audio/wav")
        guard let heard = try JSONValue.parse(transcript)["text"]?.stringValue, !heard.isEmpty else {
            throw CommandFailure("nothing heard: \(String(decoding: transcript, as: UTF8.self))")
        }
        let hear = (ContinuousClock.now - clock).seconds * 1000
        let socketURL = base.replacingOccurrences(of: "http", with: "ws", options: .anchored) + "/api/digital-customer/training/ws/" + sessionID
        let frame = JSONValue.object(["message": .string(heard), "voice": .bool(true)]).canonicalString
        let link = Link()
        try await WebSocketClient.connect(url: socketURL, logger: Logger(label: "spoken-turn")) { inbound, outbound, _ in
            var frames = inbound.messages(maxSize: 1 << 22).makeAsyncIterator()
            _ = try await frames.next()  // session
            let sent = ContinuousClock.now
            try await outbound.write(.text(frame))
            while case .text(let text)? = try await frames.next() {
                let parsed = try JSONValue.parse(text)
                switch parsed["type"]?.stringValue {
                case "customer_response":
                    await link.set(parsed["audio_url"]?.stringValue, after: (ContinuousClock.now - sent).seconds * 1000, failure: parsed["audio_error"]?.stringValue)
                case "turn_end", "training_complete":
                    try await outbound.close(.normalClosure, reason: nil)
                    return
                case "error":
                    await link.set(nil, after: 0, failure: parsed.canonicalString)
                    try await outbound.close(.normalClosure, reason: nil)
                    return
                default:
                    continue
                }
            }
        }
        guard let audioURL = await link.url else { throw CommandFailure("no spoken reply: \(await link.failure ?? "the socket closed")") }
        clock = ContinuousClock.now
        let spoken = try await Self.request(http, .GET, base + audioURL)
        let fetch = (ContinuousClock.now - clock).seconds * 1000
        let seconds = (try? WAVCodec.decode(spoken).duration) ?? 0
        return Turn(hear: hear, reply: await link.elapsed, fetch: fetch, heard: heard, replySeconds: seconds)
    }

    /// What the socket said about the spoken reply.
    private actor Link {
        var url: String?
        var elapsed = 0.0
        var failure: String?
        func set(_ url: String?, after elapsed: Double, failure: String?) {
            self.url = url
            self.elapsed = elapsed
            self.failure = failure
        }
    }

    static func json(_ http: HTTPClient, _ method: HTTPMethod, _ url: String, body: JSONValue? = nil) async throws -> JSONValue {
        try JSONValue.parse(try await request(http, method, url, body: body.map { Data($0.canonicalString.utf8) }, type: "application/json"))
    }

    static func request(_ http: HTTPClient, _ method: HTTPMethod, _ url: String, body: Data? = nil, type: String? = nil) async throws -> Data {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let body {
            request.body = .bytes(ByteBuffer(data: body))
            if let type { request.headers.add(name: "Content-Type", value: type) }
        }
        let response = try await http.execute(request, timeout: .seconds(120))
        let bytes = Data(buffer: try await response.body.collect(upTo: 64 * 1024 * 1024))
        guard (200..<300).contains(response.status.code) else {
            throw CommandFailure("\(method) \(url): HTTP \(response.status.code) \(String(decoding: bytes.prefix(300), as: UTF8.self))")
        }
        return bytes
    }
}
