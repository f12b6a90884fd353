import Foundation

/// DashScope's talking head (EMO, `emo-v1` by default) with the same key as chat: the portrait checked by
/// `emo-detect-v1` (which finds the face and the area that moves), the video submitted as an asynchronous task,
/// polled until it succeeds, then fetched. Calls go through the one LLM client, so they are recorded and replayed by
/// its cassette (the video link without its signature). DashScope serves EMO in its China (Beijing) region only.
public struct DashScopeTalkingHead: CloudTalkingHead {
    public let name = "dashscope"
    public let client: LLMClient
    /// The video model (`emo-v1`) and the portrait checker it needs (`emo-detect-v1`).
    public let model: String
    public let detectModel: String
    /// How much the head moves: `normal`, `calm` or `active`.
    public let style: String
    public let pollInterval: Duration
    public let timeout: Duration
    private let clock: any Clock<Duration>
    public var missingSettings: [String] = []

    public init(
        client: LLMClient, model: String = "emo-v1", detectModel: String = "emo-detect-v1", style: String = "normal",
        pollInterval: Duration = .seconds(5), timeout: Duration = .seconds(600), clock: any Clock<Duration> = ContinuousClock()
    ) {
        self.client = client
        self.model = model
        self.detectModel = detectModel
        self.style = style
        self.pollInterval = pollInterval
        self.timeout = timeout
        self.clock = clock
    }

    public func generate(imageURL: String, audioURL: String) async throws -> TalkingHeadVideo {
        try VideoTask.checkFetchable(imageURL, what: "image_url")
        try VideoTask.checkFetchable(audioURL, what: "audio_url")
        // A square (1:1) head-and-shoulders video: the checker finds the face and the area that may move.
        let detected = try await call(
            .dashScopeFaceDetect, model: detectModel,
            ["model": .string(detectModel), "input": .object(["image_url": .string(imageURL)]), "parameters": .object(["ratio": .string("1:1")])])
        guard detected["output"]?["check_pass"]?.boolValue == true, let face = detected["output"]?["face_bbox"],
            let area = detected["output"]?["ext_bbox"]
        else {
            let why = detected["output"]?["message"]?.stringValue ?? "no single clear face was found"
            throw VideoError.badInput("the portrait does not suit \(model): \(why.prefix(200))")
        }
        let submitted = try await call(.dashScopeVideoSynthesis, model: model, [
            "model": .string(model),
            "input": .object(["image_url": .string(imageURL), "audio_url": .string(audioURL), "face_bbox": face, "ext_bbox": area]),
            "parameters": .object(["style_level": .string(style)]),
        ])
        guard let taskID = submitted["output"]?["task_id"]?.stringValue, !taskID.isEmpty else {
            throw VideoError.failed(provider: name, reason: "no task id")
        }
        let link = try await VideoTask.poll(provider: name, every: pollInterval, timeout: timeout, clock: clock) { () -> String? in
            let task = try await call(.dashScopeTask, model: model, ["task_id": .string(taskID)])
            let status = task["output"]?["task_status"]?.stringValue ?? ""
            switch status {
            case "PENDING", "RUNNING":
                return nil
            case "SUCCEEDED":
                guard let link = (task["output"]?["results"]?["video_url"] ?? task["output"]?["video_url"])?.stringValue,
                    !link.isEmpty
                else { throw VideoError.failed(provider: name, reason: "succeeded without a video_url") }
                return link
            default:
                let code = task["output"]?["code"]?.stringValue
                throw VideoError.failed(provider: name, reason: "task \(status.isEmpty ? "without a status" : status)" + (code.map { " (\($0))" } ?? ""))
            }
        }
        return try await VideoTask.download(link, client: client, model: model, provider: name, taskID: taskID)
    }

    /// One call; a missing key is "not configured", a refusal or failure a video error (details in the log).
    private func call(_ endpoint: LLMEndpoint, model: String, _ body: [String: JSONValue]) async throws -> JSONValue {
        do {
            return try await client.call(endpoint, model: model, body: .object(body))
        } catch LLMError.missingAPIKey {
            throw VideoError.notConfigured(provider: name, settings: ["DASHSCOPE_API_KEY"])
        } catch is CancellationError {
            throw CancellationError()
        } catch let error as LLMError {
            throw VideoError.failed(provider: name, reason: error.code)
        }
    }
}
