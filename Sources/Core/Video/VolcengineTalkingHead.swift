import Foundation

/// Volcano Engine's single-image audio-driven portrait video (its visual API's `CVSync2AsyncSubmitTask` and
/// `CVSync2AsyncGetResult`, `req_key` `realman_avatar_picture_omni_v2` by default): submit, poll until done, fetch
/// the video. Calls go through the one LLM client, so they are signed by its HTTP transport and recorded and
/// replayed by its cassette (unsigned, and the video link without its signature).
public struct VolcengineTalkingHead: TalkingHeadGenerator {
    public let name = "volcengine"
    public let fetchesInputs = true
    public let client: LLMClient
    /// The vendor's name for the model (`req_key`).
    public let model: String
    public let pollInterval: Duration
    public let timeout: Duration
    private let clock: any Clock<Duration>
    /// The settings the client lacks to sign calls (its keys), so the status can say so before a request fails.
    public var missingSettings: [String] = []

    public var unavailableReason: VideoError? {
        missingSettings.isEmpty ? nil : .notConfigured(provider: name, settings: missingSettings)
    }

    public init(
        client: LLMClient, model: String = "realman_avatar_picture_omni_v2", pollInterval: Duration = .seconds(5),
        timeout: Duration = .seconds(600), clock: any Clock<Duration> = ContinuousClock()
    ) {
        self.client = client
        self.model = model
        self.pollInterval = pollInterval
        self.timeout = timeout
        self.clock = clock
    }

    public func generate(imageURL: String, audioURL: String) async throws -> TalkingHeadVideo {
        try Self.checkFetchable(imageURL, what: "image_url")
        try Self.checkFetchable(audioURL, what: "audio_url")
        let submitted = try await call(
            .volcengineSubmit,
            ["req_key": .string(model), "image_url": .string(imageURL), "audio_url": .string(audioURL)])
        guard let taskID = submitted["data"]?["task_id"]?.stringValue, !taskID.isEmpty else {
            throw VideoError.failed(provider: name, reason: "no task id")
        }
        let elapsed = startStopwatch(on: clock)
        while elapsed() < timeout {
            try await clock.sleep(for: pollInterval)
            let result = try await call(.volcengineResult, ["req_key": .string(model), "task_id": .string(taskID)])
            let status = result["data"]?["status"]?.stringValue ?? ""
            switch status {
            case "in_queue", "generating":
                continue
            case "done":
                guard let link = result["data"]?["video_url"]?.stringValue, !link.isEmpty else {
                    throw VideoError.failed(provider: name, reason: "done without a video_url")
                }
                let file = try await call(.download, ["url": .string(link)])
                guard let (data, contentType) = BinaryBody.bytes(of: file), !data.isEmpty else {
                    throw VideoError.failed(provider: name, reason: "the video file is empty")
                }
                return TalkingHeadVideo(
                    data: data, contentType: contentType.hasPrefix("video/") ? contentType : "video/mp4", taskID: taskID)
            default:
                throw VideoError.failed(provider: name, reason: status.isEmpty ? "no status" : "task \(status)")
            }
        }
        throw VideoError.timedOut(provider: name, seconds: timeout.seconds)
    }

    /// One call; the vendor's own failure codes (anything but 10000) and transport failures become video errors.
    private func call(_ endpoint: LLMEndpoint, _ body: [String: JSONValue]) async throws -> JSONValue {
        let reply: JSONValue
        do {
            reply = try await client.call(endpoint, model: model, body: .object(body))
        } catch LLMError.missingAPIKey {
            throw VideoError.notConfigured(provider: name, settings: ["VOLCENGINE_ACCESS_KEY", "VOLCENGINE_SECRET_KEY"])
        } catch is CancellationError {
            throw CancellationError()
        } catch let error as LLMError {
            throw VideoError.failed(provider: name, reason: error.code)
        }
        if endpoint != .download, let code = reply["code"]?.doubleValue, code != 10000 {
            throw VideoError.failed(provider: name, reason: "code \(Int(code))")
        }
        return reply
    }

    /// The vendor fetches both inputs itself: they must be absolute http(s) URLs.
    static func checkFetchable(_ link: String, what: String) throws {
        guard link.count <= 2048, let url = URL(string: link), url.scheme == "https" || url.scheme == "http", url.host != nil
        else { throw VideoError.badInput("\(what) must be an http(s) URL the video service can fetch") }
    }
}
