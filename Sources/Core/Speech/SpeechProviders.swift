import Foundation

/// Audio as a client sent it: the bytes and what it said they are.
public struct AudioUpload: Sendable {
    public var data: Data
    public var contentType: String?
    public var fileName: String?

    public init(data: Data, contentType: String? = nil, fileName: String? = nil) {
        self.data = data
        self.contentType = contentType
        self.fileName = fileName
    }
}

/// What a recognizer heard.
public struct Transcript: Sendable, Equatable, Codable {
    public var text: String
    /// The language it listened for ("en", "zh").
    public var language: String
    public var durationSeconds: Double
    /// Which provider made it ("pocketsphinx", …).
    public var provider: String

    public init(text: String, language: String, durationSeconds: Double, provider: String) {
        self.text = text
        self.language = language
        self.durationSeconds = durationSeconds
        self.provider = provider
    }

    enum CodingKeys: String, CodingKey {
        case text, language, provider
        case durationSeconds = "duration_seconds"
    }
}

/// Speech a synthesizer made: the file's bytes and their media type.
public struct SpeechAudio: Sendable, Equatable {
    public var data: Data
    public var contentType: String
    public var durationSeconds: Double

    public init(data: Data, contentType: String, durationSeconds: Double) {
        self.data = data
        self.contentType = contentType
        self.durationSeconds = durationSeconds
    }

    /// The file extension of its media type.
    public var fileExtension: String {
        switch contentType {
        case "audio/mpeg": return "mp3"
        case "audio/ogg": return "ogg"
        default: return "wav"
        }
    }
}

/// Turns speech into text (offline pocketsphinx, an OpenAI-compatible endpoint, DashScope).
public protocol SpeechRecognizer: Sendable {
    /// A short provider name for logs and answers.
    var name: String { get }
    /// The text spoken in `audio`; `language` is "en", "zh" or nil for the provider's default.
    func transcribe(_ audio: AudioUpload, language: String?) async throws -> Transcript
}

/// Turns text into speech (offline espeak-ng, an OpenAI-compatible endpoint, DashScope).
public protocol SpeechSynthesizer: Sendable {
    /// A short provider name for logs and answers.
    var name: String { get }
    /// `text` spoken; `language` "en", "zh" or nil to pick from the text; `voice` a provider's voice name.
    func synthesize(_ text: String, language: String?, voice: String?) async throws -> SpeechAudio
}

/// The language code of a text by its script: "zh" when it holds Han characters, otherwise "en".
public func speechLanguage(of text: String) -> String {
    text.unicodeScalars.contains { (0x4E00...0x9FFF).contains($0.value) || (0x3400...0x4DBF).contains($0.value) }
        ? "zh" : "en"
}

/// Normalises a client's language tag ("en-US", "zh_CN", "cmn") to "en" or "zh"; nil for unknown tags.
public func speechLanguageCode(_ tag: String?) -> String? {
    guard let tag = tag?.lowercased(), !tag.isEmpty else { return nil }
    if tag.hasPrefix("zh") || tag.hasPrefix("cmn") { return "zh" }
    if tag.hasPrefix("en") { return "en" }
    return nil
}

/// Which provider a speech direction uses (`SPEECH_RECOGNIZER`, `SPEECH_SYNTHESIZER`).
public enum SpeechProviderChoice: String, Sendable, CaseIterable {
    /// On this machine, no network: espeak-ng speaks, pocketsphinx listens (English).
    case offline
    /// An OpenAI-compatible server at `SPEECH_BASE_URL` (`/audio/transcriptions`, `/audio/speech`).
    case openai
    /// DashScope's speech models (Qwen-ASR, Qwen-TTS) with `DASHSCOPE_API_KEY`.
    case dashscope
    /// No speech: the routes answer "not configured".
    case off

    /// The recognizing model a remote provider uses unless `SPEECH_RECOGNIZER_MODEL` names another.
    public var defaultRecognizerModel: String {
        switch self {
        case .openai: return "whisper-1"
        case .dashscope: return "qwen3-asr-flash"
        case .offline, .off: return ""
        }
    }

    /// The speaking model a remote provider uses unless `SPEECH_SYNTHESIZER_MODEL` names another.
    public var defaultSynthesizerModel: String {
        switch self {
        case .openai: return "tts-1"
        case .dashscope: return "qwen3-tts-flash"
        case .offline, .off: return ""
        }
    }

    /// The voice a remote synthesizer speaks in unless `SPEECH_VOICE` or the request names another.
    public var defaultVoice: String {
        switch self {
        case .openai: return "alloy"
        case .dashscope: return "Cherry"
        case .offline, .off: return ""
        }
    }
}
