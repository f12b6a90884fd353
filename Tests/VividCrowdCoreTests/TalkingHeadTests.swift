import Foundation
import Testing
@testable import VividCrowdCore
import VividCrowdTesting

private let accessKey = "AKLTexampleaccesskey"
private let secretKey = "c2VjcmV0LWtleS1leGFtcGxl"

/// The fake visual API: a task that is queued, then generating, then done with a signed link to the video.
private func visualAPI(video: Data, statuses: [String] = ["in_queue", "generating", "done"]) -> FakeOpenAIServer.Behaviour {
    let polls = Counter()
    return { request, _ in
        if request.path == "/files/talk.mp4" { return .bytes(video, contentType: "video/mp4") }
        if request.query?.contains("Action=CVSync2AsyncSubmitTask") == true {
            return .json(.object(["code": .number(10000), "message": .string("Success"), "data": .object(["task_id": .string("7392616336519610409")])]))
        }
        let status = statuses[min(await polls.next(), statuses.count - 1)]
        var data: [String: JSONValue] = ["status": .string(status)]
        if status == "done" {
            data["video_url"] = .string("FILES/files/talk.mp4?X-Tos-Algorithm=TOS4-HMAC-SHA256&X-Tos-Signature=do-not-keep")
        }
        return .json(.object(["code": .number(10000), "message": .string("Success"), "data": .object(data)]))
    }
}

private actor Counter {
    private var value = 0
    func next() -> Int {
        defer { value += 1 }
        return value
    }
}

@Suite("Talking-head video: Volcano Engine's signature, task submit and poll, recorded and replayed")
struct TalkingHeadTests {
    /// Computed by the vendor's own SDK (PyPI volcengine 1.0.229, `SignerV4.sign` with its clock fixed), as
    /// Tests/Fixtures/volcengine/README.md shows: the signature is checked against the vendor, not against itself.
    @Test("the signature matches the one Volcano Engine's SDK computes for the same request")
    func vendorSignature() {
        let body = #"{"audio_url":"https://example.com/a.wav","image_url":"https://example.com/p.png","req_key":"realman_avatar_picture_omni_v2"}"#
        let signed = VolcengineSigner(accessKey: accessKey, secretKey: secretKey).sign(
            method: "POST", query: ["Action": "CVSync2AsyncSubmitTask", "Version": "2022-08-31"],
            headers: ["Content-Type": "application/json", "Host": "visual.volcengineapi.com"], body: Data(body.utf8),
            date: Date(timeIntervalSince1970: 1_796_292_900))
        #expect(signed["X-Date"] == "20261203T101500Z")
        #expect(signed["X-Content-Sha256"] == "37082ff1a1854e9136bb5df00bdc1c3e42c97f42acd154a931704071486b75a5")
        #expect(signed["Authorization"] == "HMAC-SHA256 Credential=AKLTexampleaccesskey/20261203/cn-north-1/cv/request, SignedHeaders=content-type;host;x-content-sha256;x-date, Signature=4cdceb1c4a3b6596cca90105085e1988a73b559df0f8b9ac426af3b5b66136ff")
    }

    @Test("a task is submitted signed, polled until done and its video fetched without credentials; the cassette holds neither keys nor the link's signature and replays it")
    func recordAndReplay() async throws {
        let video = Data("....ftypisom fake mp4 bytes".utf8)
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await FakeOpenAIServer.with(visualAPI(video: video)) { base, log in
            let root = base.absoluteString.replacingOccurrences(of: "/v1", with: "")
            var settings = HTTPTransport.Settings(chatBaseURL: base, apiKey: nil, retry: RetryPolicy(maxRetries: 0))
            settings.volcengineBaseURL = URL(string: root + "/volc")!
            settings.volcengineSigner = VolcengineSigner(accessKey: accessKey, secretKey: secretKey)
            let http = HTTPTransport(settings: settings, logger: .init(label: "test"))
            let live = LinkRewritingTransport(inner: http, from: "FILES/", to: root + "/")
            func generator(_ mode: LLMMode, clock: VirtualClock) throws -> VolcengineTalkingHead {
                let cassette = try Cassette(
                    directory: directory, name: "video", startEmpty: mode == .record,
                    redactor: Redactor(secrets: [accessKey, secretKey]))
                let client = LLMClient(
                    transport: CassetteTransport(cassette: cassette, mode: mode, live: mode == .replay ? nil : live), models: testModels)
                return VolcengineTalkingHead(client: client, pollInterval: .seconds(5), timeout: .seconds(60), clock: clock)
            }
            let clock = VirtualClock(start: Date())
            let made = try await generator(.record, clock: clock).generate(imageURL: "https://example.com/p.png", audioURL: "https://example.com/a.wav")
            #expect(made == TalkingHeadVideo(data: video, contentType: "video/mp4", taskID: "7392616336519610409"))
            #expect(clock.now.offset == .seconds(15))

            let received = await log.requests
            #expect(received.count == 5)
            let submit = received[0]
            #expect(submit.query == "Action=CVSync2AsyncSubmitTask&Version=2022-08-31")
            #expect(submit.body["image_url"]?.stringValue == "https://example.com/p.png" && submit.body["req_key"]?.stringValue == "realman_avatar_picture_omni_v2")
            // What was sent is what was signed: recomputing from the received bytes and headers gives the same signature.
            for call in received.prefix(4) {
                let date = try #require(call.headers["x-date"].flatMap(Self.date(fromStamp:)))
                let query = Dictionary(uniqueKeysWithValues: (call.query ?? "").split(separator: "&").map {
                    let pair = $0.split(separator: "=", maxSplits: 1)
                    return (String(pair[0]), String(pair[1]))
                })
                let expected = VolcengineSigner(accessKey: accessKey, secretKey: secretKey).sign(
                    method: "POST", path: "/volc", query: query,
                    headers: ["Content-Type": call.headers["content-type"] ?? "", "Host": call.headers["host"] ?? ""], body: call.raw, date: date)
                #expect(call.authorization == expected["Authorization"] && call.headers["x-content-sha256"] == expected["X-Content-Sha256"])
            }
            #expect(received[1].query == "Action=CVSync2AsyncGetResult&Version=2022-08-31" && received[1].body["task_id"]?.stringValue == "7392616336519610409")
            #expect(received[4].path == "/files/talk.mp4" && received[4].authorization == nil)

            let file = try String(contentsOf: URL(fileURLWithPath: directory).appendingPathComponent("video.json"), encoding: .utf8)
            #expect(!file.contains(secretKey) && !file.contains(accessKey) && !file.contains("do-not-keep") && !file.contains("HMAC-SHA256 Credential"))

            let replayClock = VirtualClock(start: Date())
            let replayed = try await generator(.replay, clock: replayClock).generate(imageURL: "https://example.com/p.png", audioURL: "https://example.com/a.wav")
            #expect(replayed == made && replayClock.now.offset == .seconds(15))
            #expect(await log.requests.count == 5)
            try await http.shutdown()
        }
    }

    @Test("missing keys name both settings; bad inputs, refused tasks and slow ones get their own errors")
    func failures() async throws {
        let noKeys = HTTPTransport(settings: .init(chatBaseURL: URL(string: "http://127.0.0.1:9/v1")!, apiKey: nil), logger: .init(label: "test"))
        let unconfigured = VolcengineTalkingHead(client: LLMClient(transport: noKeys, models: testModels), clock: VirtualClock(start: Date()))
        await #expect(throws: VideoError.notConfigured(provider: "volcengine", settings: ["VOLCENGINE_ACCESS_KEY", "VOLCENGINE_SECRET_KEY"])) {
            try await unconfigured.generate(imageURL: "https://example.com/p.png", audioURL: "https://example.com/a.wav")
        }
        await #expect(throws: VideoError.badInput("audio_url must be an http(s) URL the video service can fetch")) {
            try await unconfigured.generate(imageURL: "https://example.com/p.png", audioURL: "file:///etc/passwd")
        }
        try await noKeys.shutdown()

        for (statuses, expected) in [
            (["in_queue", "expired"], VideoError.failed(provider: "volcengine", reason: "task expired")),
            (["generating"], VideoError.timedOut(provider: "volcengine", seconds: 30)),
        ] {
            try await FakeOpenAIServer.with(visualAPI(video: Data([1]), statuses: statuses)) { base, _ in
                var settings = HTTPTransport.Settings(chatBaseURL: base, apiKey: nil, retry: RetryPolicy(maxRetries: 0))
                settings.volcengineBaseURL = URL(string: base.absoluteString.replacingOccurrences(of: "/v1", with: "/volc"))!
                settings.volcengineSigner = VolcengineSigner(accessKey: accessKey, secretKey: secretKey)
                let http = HTTPTransport(settings: settings, logger: .init(label: "test"))
                let generator = VolcengineTalkingHead(
                    client: LLMClient(transport: http, models: testModels), pollInterval: .seconds(5), timeout: .seconds(30),
                    clock: VirtualClock(start: Date()))
                await #expect(throws: expected) {
                    try await generator.generate(imageURL: "https://example.com/p.png", audioURL: "https://example.com/a.wav")
                }
                try await http.shutdown()
            }
        }
    }

    static func date(fromStamp stamp: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return formatter.date(from: stamp)
    }
}

/// DashScope's EMO as its API reference shows it: the portrait checked, a task submitted asynchronously, polled,
/// the video fetched from a signed link.
private func emoAPI(video: Data, passes: Bool = true, statuses: [String] = ["PENDING", "RUNNING", "SUCCEEDED"]) -> FakeOpenAIServer.Behaviour {
    let polls = Counter()
    return { request, _ in
        switch request.path {
        case "/files/emo.mp4":
            return .bytes(video, contentType: "video/mp4")
        case "/api/v1/services/aigc/image2video/face-detect":
            return .json(.object(["output": passes
                ? .object(["check_pass": .bool(true), "face_bbox": .array([302, 286, 610, 593].map { .number($0) }),
                           "ext_bbox": .array([71, 9, 840, 778].map { .number($0) })])
                : .object(["check_pass": .bool(false), "message": .string("The input image has multi human bodies. Please upload other image with single person.")]),
                "request_id": .string("r1")]))
        case "/api/v1/services/aigc/image2video/video-synthesis":
            return .json(.object(["output": .object(["task_id": .string("a8532587-fa8c-4ef8-82be"), "task_status": .string("PENDING")])]))
        default:
            let status = statuses[min(await polls.next(), statuses.count - 1)]
            var output: [String: JSONValue] = ["task_id": .string("a8532587-fa8c-4ef8-82be"), "task_status": .string(status)]
            if status == "SUCCEEDED" {
                output["results"] = .object(["video_url": .string("FILES/files/emo.mp4?Expires=1&OSSAccessKeyId=LTAI&Signature=do-not-keep")])
            }
            if status == "FAILED" { output["code"] = .string("InvalidFile.Content") }
            return .json(.object(["output": .object(output), "usage": .object(["video_duration": .number(2.5)])]))
        }
    }
}

@Suite("Talking-head video: DashScope's EMO, portrait check, task submit and poll, recorded and replayed")
struct DashScopeTalkingHeadTests {
    static let key = "sk-dashscope-test-key"

    @Test("the portrait is checked, its boxes passed on, the task submitted asynchronously, polled and its video fetched without the key; the cassette replays it")
    func recordAndReplay() async throws {
        let video = Data("....ftypisom emo bytes".utf8)
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await FakeOpenAIServer.with(emoAPI(video: video)) { base, log in
            let root = base.absoluteString.replacingOccurrences(of: "/v1", with: "")
            var settings = HTTPTransport.Settings(chatBaseURL: base, apiKey: Self.key, retry: RetryPolicy(maxRetries: 0))
            settings.dashScopeAPIBaseURL = URL(string: root + "/api/v1")!
            let http = HTTPTransport(settings: settings, logger: .init(label: "test"))
            let live = LinkRewritingTransport(inner: http, from: "FILES/", to: root + "/")
            func generator(_ mode: LLMMode, clock: VirtualClock) throws -> DashScopeTalkingHead {
                let cassette = try Cassette(directory: directory, name: "emo", startEmpty: mode == .record, redactor: Redactor(secrets: [Self.key]))
                let client = LLMClient(
                    transport: CassetteTransport(cassette: cassette, mode: mode, live: mode == .replay ? nil : live), models: testModels)
                return DashScopeTalkingHead(client: client, pollInterval: .seconds(5), timeout: .seconds(60), clock: clock)
            }
            let clock = VirtualClock(start: Date())
            let made = try await generator(.record, clock: clock).generate(imageURL: "https://example.com/p.png", audioURL: "https://example.com/a.wav")
            #expect(made == TalkingHeadVideo(data: video, contentType: "video/mp4", taskID: "a8532587-fa8c-4ef8-82be"))
            #expect(clock.now.offset == .seconds(15))

            let received = await log.requests
            #expect(received.map(\.path) == [
                "/api/v1/services/aigc/image2video/face-detect", "/api/v1/services/aigc/image2video/video-synthesis",
                "/api/v1/tasks/a8532587-fa8c-4ef8-82be", "/api/v1/tasks/a8532587-fa8c-4ef8-82be", "/api/v1/tasks/a8532587-fa8c-4ef8-82be",
                "/files/emo.mp4",
            ])
            #expect(received[0].body["model"]?.stringValue == "emo-detect-v1" && received[0].body["parameters"]?["ratio"]?.stringValue == "1:1")
            let submit = received[1]
            #expect(submit.headers["x-dashscope-async"] == "enable" && submit.authorization == "Bearer \(Self.key)")
            #expect(submit.body["model"]?.stringValue == "emo-v1" && submit.body["input"]?["audio_url"]?.stringValue == "https://example.com/a.wav")
            #expect(submit.body["input"]?["face_bbox"] == .array([302, 286, 610, 593].map { .number($0) }))
            #expect(submit.body["input"]?["ext_bbox"] == .array([71, 9, 840, 778].map { .number($0) }))
            #expect(received[2].authorization == "Bearer \(Self.key)" && received[5].authorization == nil)

            let file = try String(contentsOf: URL(fileURLWithPath: directory).appendingPathComponent("emo.json"), encoding: .utf8)
            #expect(!file.contains(Self.key) && !file.contains("do-not-keep"))

            let replayClock = VirtualClock(start: Date())
            let replayed = try await generator(.replay, clock: replayClock).generate(imageURL: "https://example.com/p.png", audioURL: "https://example.com/a.wav")
            #expect(replayed == made && replayClock.now.offset == .seconds(15))
            #expect(await log.requests.count == 6)
            try await http.shutdown()
        }
    }

    @Test("no key names DASHSCOPE_API_KEY; a refused portrait is bad input with the vendor's reason; a failed task and a slow one get their own errors")
    func failures() async throws {
        let noKey = HTTPTransport(settings: .init(chatBaseURL: URL(string: "http://127.0.0.1:9/v1")!, apiKey: nil), logger: .init(label: "test"))
        let unconfigured = DashScopeTalkingHead(client: LLMClient(transport: noKey, models: testModels), clock: VirtualClock(start: Date()))
        await #expect(throws: VideoError.notConfigured(provider: "dashscope", settings: ["DASHSCOPE_API_KEY"])) {
            try await unconfigured.generate(imageURL: "https://example.com/p.png", audioURL: "https://example.com/a.wav")
        }
        try await noKey.shutdown()

        for (passes, statuses, expected) in [
            (false, ["SUCCEEDED"], VideoError.badInput("the portrait does not suit emo-v1: The input image has multi human bodies. Please upload other image with single person.")),
            (true, ["PENDING", "FAILED"], VideoError.failed(provider: "dashscope", reason: "task FAILED (InvalidFile.Content)")),
            (true, ["RUNNING"], VideoError.timedOut(provider: "dashscope", seconds: 30)),
        ] {
            try await FakeOpenAIServer.with(emoAPI(video: Data([1]), passes: passes, statuses: statuses)) { base, _ in
                var settings = HTTPTransport.Settings(chatBaseURL: base, apiKey: Self.key, retry: RetryPolicy(maxRetries: 0))
                settings.dashScopeAPIBaseURL = URL(string: base.absoluteString.replacingOccurrences(of: "/v1", with: "/api/v1"))!
                let http = HTTPTransport(settings: settings, logger: .init(label: "test"))
                let generator = DashScopeTalkingHead(
                    client: LLMClient(transport: http, models: testModels), pollInterval: .seconds(5), timeout: .seconds(30),
                    clock: VirtualClock(start: Date()))
                await #expect(throws: expected) {
                    try await generator.generate(imageURL: "https://example.com/p.png", audioURL: "https://example.com/a.wav")
                }
                try await http.shutdown()
            }
        }
    }
}
