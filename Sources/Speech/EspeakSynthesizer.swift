import CSpeech
import Dispatch
import Foundation
import VividCrowdCore

/// Offline speech synthesis with espeak-ng (Debian's libespeak-ng): English ("en-us") and Mandarin ("cmn") voices,
/// 22,050 Hz mono WAV. Intelligible and fast, clearly robotic: good for offline demos and tests, not for users who
/// expect a natural voice.
public struct EspeakSynthesizer: SpeechSynthesizer {
    public let name = "espeak-ng"
    /// Speaking rate in words per minute (espeak-ng's default is 175).
    public let wordsPerMinute: Int

    /// espeak-ng keeps its state in process-wide globals, so every call in the process goes through this one queue.
    private static let engine = DispatchQueue(label: "vividcrowd.espeak-ng")

    public init(wordsPerMinute: Int = 165) {
        self.wordsPerMinute = min(max(wordsPerMinute, 80), 450)
    }

    public func synthesize(_ text: String, language: String?, voice: String?) async throws -> SpeechAudio {
        let language = language ?? speechLanguage(of: text)
        let voiceName = voice ?? (language == "zh" ? "cmn" : "en-us")
        // espeak-ng resolves a voice name to a file under its data folder: only plain names reach it.
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-+_".utf8)
        guard !voiceName.isEmpty, voiceName.utf8.count <= 64, voiceName.utf8.allSatisfy(allowed.contains) else {
            throw SpeechError.unsupportedLanguage(voiceName, provider: name)
        }
        let clip = try await Self.run(text: text, voice: voiceName, wordsPerMinute: wordsPerMinute)
        return SpeechAudio(data: WAVCodec.encode(clip), contentType: "audio/wav", durationSeconds: clip.duration)
    }

    private static func run(text: String, voice: String, wordsPerMinute: Int) async throws -> AudioClip {
        try await withCheckedThrowingContinuation { continuation in
            engine.async {
                continuation.resume(with: Result { try synthesizeNow(text: text, voice: voice, wordsPerMinute: wordsPerMinute) })
            }
        }
    }

    private static func synthesizeNow(text: String, voice: String, wordsPerMinute: Int) throws -> AudioClip {
        let rate = vc_tts_open(nil)
        guard rate > 0 else { throw SpeechError.engineFailed(provider: "espeak-ng") }
        var samples: UnsafeMutablePointer<Int16>?
        var count = 0
        let status = vc_tts_synthesize(voice, text, Int32(wordsPerMinute), &samples, &count)
        defer { vc_tts_free(samples) }
        switch status {
        case 0:
            let buffer = samples.map { Array(UnsafeBufferPointer(start: $0, count: count)) } ?? []
            return AudioClip(samples: buffer, sampleRate: Int(rate))
        case 1:
            throw SpeechError.unsupportedLanguage(voice, provider: "espeak-ng")
        default:
            throw SpeechError.engineFailed(provider: "espeak-ng")
        }
    }
}
