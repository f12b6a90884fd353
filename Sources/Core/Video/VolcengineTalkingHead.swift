import Foundation

/// Volcano Engine's single-image audio-driven portrait video (its visual API's `CVSync2AsyncSubmitTask` and
/// `CVSync2AsyncGetResult`, `req_key` `realman_avatar_picture_omni_v2` by default): submit, poll until done, fetch
/// the video. Calls go through the one LLM client, so they are signed by its HTTP transport and recorded and
/// replayed by its cassette (unsigned, and the video link without its signature).
public struct VolcengineTalkingHead: CloudTalkingHead {
    public let name = "volcengine"
    public let client: LLMClient
    /// The vendor's name for the model (`req_key`).
    public let model: String
    public let pollInterval: Duration
    public let timeout: Duration
    private let clock: any Clock<Duration>
    public var missingSettings: [String] = []

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
        try VideoTask.checkFetchable(imageURL, what: "image_url")
        try VideoTask.checkFetchable(audioURL, what: "audio_url")
        let submitted = try await call(
            .volcengineSubmit,
            ["req_key": .string(model), "image_url": .string(imageURL), "audio_url": .string(audioURL)])
        guard let taskID = submitted["data"]?["task_id"]?.stringValue, !taskID.isEmpty else {
            throw VideoError.failed(provider: name, reason: "no task id")
        }
        let link = try await VideoTask.poll(provider: name, every: pollInterval, timeout: timeout, clock: clock) { () -> String? in
            let result = try await call(.volcengineResult, ["req_key": .string(model), "task_id": .string(taskID)])
            let status = result["data"]?["status"]?.stringValue ?? ""
            switch status {
            case "in_queue", "generating":
                return nil
            case "done":
                guard let link = result["data"]?["video_url"]?.stringValue, !link.isEmpty else {
                    throw VideoError.failed(provider: name, reason: "done without a video_url")
                }
                return link
            default:
                throw VideoError.failed(provider: name, reason: status.isEmpty ? "no status" : "task \(status)")
            }
        }
        return try await VideoTask.download(link, client: client, model: model, provider: name, taskID: taskID)
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
        if let code = reply["code"]?.doubleValue, code != 10000 {
            throw VideoError.failed(provider: name, reason: "code \(Int(code))")
        }
        return reply
    }
}
