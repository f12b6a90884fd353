import Foundation

/// Limits on what the speech routes take.
public struct SpeechLimits: Sendable, Equatable {
    /// Largest audio upload, in bytes.
    public var maximumBytes: Int
    /// Longest audio, in seconds.
    public var maximumSeconds: Double
    /// Longest text spoken at once, in characters.
    public var maximumTextCharacters: Int

    public init(maximumBytes: Int = 10 * 1024 * 1024, maximumSeconds: Double = 60, maximumTextCharacters: Int = 2_000) {
        self.maximumBytes = maximumBytes
        self.maximumSeconds = maximumSeconds
        self.maximumTextCharacters = maximumTextCharacters
    }
}

/// Speech in and out for the modes: checks limits, calls the configured providers and keeps what it makes in the
/// media store, so replies can carry an `audio_url`.
public struct SpeechDesk: Sendable {
    public let recognizer: (any SpeechRecognizer)?
    public let synthesizer: (any SpeechSynthesizer)?
    public let media: MediaStore
    public let limits: SpeechLimits
    /// The settings a missing provider needs, for its "not configured" answer.
    public let recognizerSettings: [String]
    public let synthesizerSettings: [String]

    public init(
        recognizer: (any SpeechRecognizer)?, synthesizer: (any SpeechSynthesizer)?, media: MediaStore,
        limits: SpeechLimits = SpeechLimits(), recognizerSettings: [String] = ["SPEECH_RECOGNIZER"],
        synthesizerSettings: [String] = ["SPEECH_SYNTHESIZER"]
    ) {
        self.recognizer = recognizer
        self.synthesizer = synthesizer
        self.media = media
        self.limits = limits
        self.recognizerSettings = recognizerSettings
        self.synthesizerSettings = synthesizerSettings
    }

    /// The text spoken in `audio`, after the size limit (duration is checked by providers that decode).
    public func transcribe(_ audio: AudioUpload, language: String?) async throws -> Transcript {
        guard let recognizer else {
            throw SpeechError.notConfigured(provider: "speech recognition", settings: recognizerSettings)
        }
        guard audio.data.count <= limits.maximumBytes else {
            throw SpeechError.tooLarge(bytes: audio.data.count, limit: limits.maximumBytes)
        }
        guard !audio.data.isEmpty else { throw SpeechError.emptyAudio }
        if WAVCodec.looksLikeWAV(audio.data) {
            let clip = try WAVCodec.decode(audio.data)
            guard clip.duration <= limits.maximumSeconds else {
                throw SpeechError.tooLong(seconds: clip.duration, limit: limits.maximumSeconds)
            }
        }
        return try await recognizer.transcribe(audio, language: language)
    }

    /// `text` spoken and stored; returns the stored file's id and the audio.
    public func synthesize(_ text: String, language: String?, voice: String?) async throws -> (id: String, audio: SpeechAudio) {
        guard let synthesizer else {
            throw SpeechError.notConfigured(provider: "speech synthesis", settings: synthesizerSettings)
        }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw SpeechError.emptyText }
        guard trimmed.count <= limits.maximumTextCharacters else {
            throw SpeechError.textTooLong(characters: trimmed.count, limit: limits.maximumTextCharacters)
        }
        let audio = try await synthesizer.synthesize(trimmed, language: language, voice: voice)
        let id = try await media.store(audio.data, fileExtension: audio.fileExtension)
        return (id, audio)
    }
}
