import Foundation

/// A talking-head video: the file's bytes and the provider's task that made it.
public struct TalkingHeadVideo: Sendable, Equatable {
    public var data: Data
    public var contentType: String
    public var taskID: String

    public init(data: Data, contentType: String, taskID: String) {
        self.data = data
        self.contentType = contentType
        self.taskID = taskID
    }
}

/// Makes a portrait speak: a photo and a speech recording (both at URLs the provider can fetch) become a video.
public protocol TalkingHeadGenerator: Sendable {
    /// A short provider name for logs and answers.
    var name: String { get }
    /// Whether the provider fetches the inputs itself (a cloud service), so they must be links it can reach; when
    /// false, the links name files this server holds (`/api/media/{id}`).
    var fetchesInputs: Bool { get }
    /// Why no video can be made at all (settings or a program missing), or nil when it is ready.
    var unavailableReason: VideoError? { get }
    /// The video of the person in `imageURL` saying `audioURL`.
    func generate(imageURL: String, audioURL: String) async throws -> TalkingHeadVideo
}

extension TalkingHeadGenerator {
    public var unavailableReason: VideoError? { nil }
}

/// A provider in the cloud: it fetches its inputs itself, and the settings it lacks (its keys) are named before a
/// request fails.
public protocol CloudTalkingHead: TalkingHeadGenerator {
    /// The settings the client lacks to call the vendor; empty when configured (or replaying).
    var missingSettings: [String] { get set }
}

extension CloudTalkingHead {
    public var fetchesInputs: Bool { true }

    public var unavailableReason: VideoError? {
        missingSettings.isEmpty ? nil : .notConfigured(provider: name, settings: missingSettings)
    }
}

/// Why a video could not be made; each case says what the user can do.
public enum VideoError: Error, Equatable, Sendable, CustomStringConvertible, ConversationFailure {
    /// The provider needs settings it does not have; names them.
    case notConfigured(provider: String, settings: [String])
    /// An input is not an http(s) URL the provider could fetch.
    case badInput(String)
    /// The provider refused or failed the task; `reason` is its code, details stay in the log.
    case failed(provider: String, reason: String)
    /// The task did not finish in time.
    case timedOut(provider: String, seconds: Double)
    /// An input had the right type but could not be decoded; `diagnostics` are for the log only.
    case unreadableInput(String, diagnostics: String)

    public var description: String {
        switch self {
        case .notConfigured(let provider, let settings):
            return "\(provider) video is not configured: set \(settings.joined(separator: " and "))"
        case .badInput(let why), .unreadableInput(let why, _):
            return why
        case .failed(let provider, let reason):
            return "\(provider) could not make the video (\(reason)); the server log has the details"
        case .timedOut(let provider, let seconds):
            return "\(provider) did not finish the video within \(Int(seconds)) s; try again later or raise VIDEO_TIMEOUT"
        }
    }

    public var code: String {
        switch self {
        case .notConfigured: return "not_configured"
        case .badInput, .unreadableInput: return "bad_input"
        case .failed: return "video_failed"
        case .timedOut: return "video_timeout"
        }
    }

    public var userMessage: String { description }
}

/// Which talking-head provider `VIDEO_PROVIDER` chooses.
public enum VideoProviderChoice: String, Sendable, CaseIterable {
    /// On this machine: ffmpeg puts the portrait over the voice's waveform (no face movement).
    case offline
    /// Volcano Engine's audio-driven portrait video, with `VOLCENGINE_ACCESS_KEY` / `VOLCENGINE_SECRET_KEY`.
    case volcengine
    /// DashScope's EMO with `DASHSCOPE_API_KEY` (China (Beijing) region).
    case dashscope
    /// No video: the route answers "not configured" and the page shows no video panel.
    case off

    /// The model used unless `VIDEO_MODEL` names another.
    public var defaultModel: String {
        switch self {
        case .dashscope: return "emo-v1"
        case .volcengine, .offline, .off: return "realman_avatar_picture_omni_v2"
        }
    }
}
