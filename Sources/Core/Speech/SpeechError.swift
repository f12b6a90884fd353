/// Why speech could not be recognised or made; each case says what the user can do.
public enum SpeechError: Error, Equatable, Sendable, CustomStringConvertible, ConversationFailure {
    case unsupportedAudio(String)
    case corruptAudio(String)
    case tooLarge(bytes: Int, limit: Int)
    case tooLong(seconds: Double, limit: Double)
    case emptyAudio
    case emptyText
    case textTooLong(characters: Int, limit: Int)
    case unsupportedLanguage(String, provider: String)
    /// A voice name with characters no provider's names have.
    case unsupportedVoice(String)
    /// A provider that needs settings it does not have; names them.
    case notConfigured(provider: String, settings: [String])
    /// The engine failed (its model could not be loaded, a decode failed); details stay in the log.
    case engineFailed(provider: String)

    public var description: String {
        switch self {
        case .unsupportedAudio(let found):
            return "the audio is \(found); send WAV (PCM or float)"
        case .corruptAudio(let why):
            return "the audio cannot be read: \(why)"
        case .tooLarge(let bytes, let limit):
            return "the audio is \(bytes) bytes; at most \(limit) are accepted"
        case .tooLong(let seconds, let limit):
            return "the audio lasts \(Int(seconds.rounded())) s; at most \(Int(limit)) s are accepted"
        case .emptyAudio:
            return "the audio holds no samples"
        case .emptyText:
            return "there is no text to speak"
        case .textTooLong(let characters, let limit):
            return "the text has \(characters) characters; at most \(limit) are spoken at once"
        case .unsupportedLanguage(let language, let provider):
            return "\(provider) cannot handle language \"\(language)\""
        case .unsupportedVoice(let voice):
            return "the voice \"\(voice.prefix(64))\" is not a voice name (letters, digits, - _ + . and at most 64 of them)"
        case .notConfigured(let provider, let settings):
            return "\(provider) is not configured: set \(settings.joined(separator: " and "))"
        case .engineFailed(let provider):
            return "\(provider) failed; the server log has the details"
        }
    }

    public var code: String {
        switch self {
        case .unsupportedAudio: return "unsupported_audio"
        case .corruptAudio: return "corrupt_audio"
        case .tooLarge: return "too_large"
        case .tooLong: return "too_long"
        case .emptyAudio: return "empty_audio"
        case .emptyText: return "empty_text"
        case .textTooLong: return "text_too_long"
        case .unsupportedLanguage: return "unsupported_language"
        case .unsupportedVoice: return "unsupported_voice"
        case .notConfigured: return "not_configured"
        case .engineFailed: return "speech_failed"
        }
    }

    public var userMessage: String { description }
}
