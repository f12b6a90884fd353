import Foundation

/// The operations VividCrowd calls on model servers: OpenAI-compatible chat, embeddings and audio, DashScope's
/// native multimodal generation (its speech models), and fetching a file a reply points at.
public enum LLMEndpoint: String, Sendable, Codable, CaseIterable {
    case chatCompletions = "chat/completions"
    case embeddings
    /// Speech to text: a multipart upload (the body's `file` is sent as a file part, see `BinaryBody`).
    case audioTranscriptions = "audio/transcriptions"
    /// Text to speech: JSON in, audio bytes out (carried as `BinaryBody.reply`).
    case audioSpeech = "audio/speech"
    /// DashScope's native API for its speech models (Qwen-ASR, Qwen-TTS).
    case dashScopeGeneration = "services/aigc/multimodal-generation/generation"
    /// A GET of the body's `url`, with no credentials: the audio a DashScope reply links to, a finished video.
    case download
    /// Volcano Engine's visual API: submit an asynchronous task (signed with its access and secret key).
    case volcengineSubmit = "CVSync2AsyncSubmitTask"
    /// Volcano Engine's visual API: a submitted task's status and result.
    case volcengineResult = "CVSync2AsyncGetResult"
    /// DashScope's portrait check for its talking-head model (EMO): whether a picture suits it, and its face boxes.
    case dashScopeFaceDetect = "services/aigc/image2video/face-detect"
    /// DashScope's talking-head video (EMO), submitted as an asynchronous task.
    case dashScopeVideoSynthesis = "services/aigc/image2video/video-synthesis"
    /// A DashScope asynchronous task's status and result: a GET of `tasks/{task_id}` (the body's `task_id`).
    case dashScopeTask = "tasks"
    /// An object-storage upload (Alibaba Cloud OSS `PutObject`): the body's `file` to its `url`, signed.
    case objectPut = "oss/put-object"

    /// Whether the server answers with bytes rather than JSON.
    public var repliesWithBytes: Bool { self == .audioSpeech || self == .download || self == .objectPut }
}

/// One payload of a streamed reply: the raw `data:` text and when it arrived, measured from the request.
public struct StreamPayload: Sendable, Hashable {
    public var data: String
    public var offset: Duration

    public init(data: String, offset: Duration) {
        self.data = data
        self.offset = offset
    }
}

/// Moves request bodies to an OpenAI-compatible server (or a cassette) and brings back raw replies.
///
/// The client above it owns parsing, so a recorded reply and a live one go through the same code.
public protocol LLMTransport: Sendable {
    /// Sends a request and returns the JSON reply.
    func send(_ endpoint: LLMEndpoint, body: JSONValue) async throws -> JSONValue
    /// Sends a streaming request and yields each SSE `data:` payload as it arrives.
    func stream(_ endpoint: LLMEndpoint, body: JSONValue) async throws -> AsyncThrowingStream<StreamPayload, any Error>
}
