import CSpeech
import Dispatch
import Foundation
import VividCrowdCore

/// Offline English speech recognition with pocketsphinx (Debian's libpocketsphinx and its en-us model), WAV input.
/// A small HMM recognizer with a general language model: usable for short, clearly spoken English lines and for
/// tests; far below cloud or Whisper-class recognizers on open speech; no Chinese model is packaged.
public final class PocketSphinxRecognizer: SpeechRecognizer, @unchecked Sendable {
    public let name = "pocketsphinx"
    /// The model folder (`en-us/`, `en-us.lm.bin`, `cmudict-en-us.dict` inside).
    public let modelDirectory: URL

    /// Decoding runs here, one utterance at a time: a decoder is not thread-safe, and loading it takes a second and
    /// ~40 MB, so it is loaded on first use and kept.
    private let queue = DispatchQueue(label: "vividcrowd.pocketsphinx")
    /// Touched only on `queue`.
    private var decoder: OpaquePointer?

    /// Debian's pocketsphinx-en-us model folder.
    public static let debianModelDirectory = URL(fileURLWithPath: "/usr/share/pocketsphinx/model/en-us")

    public init(modelDirectory: URL = PocketSphinxRecognizer.debianModelDirectory) {
        self.modelDirectory = modelDirectory
    }

    deinit {
        if let decoder { vc_asr_close(decoder) }
    }

    /// Whether the model files are where the recognizer looks for them.
    public var modelIsInstalled: Bool {
        FileManager.default.fileExists(atPath: modelDirectory.appendingPathComponent("en-us.lm.bin").path)
    }

    public func transcribe(_ audio: AudioUpload, language: String?) async throws -> Transcript {
        if let language, language != "en" { throw SpeechError.unsupportedLanguage(language, provider: name) }
        let clip = try WAVCodec.decode(audio.data).resampled(to: 16_000)
        guard !clip.samples.isEmpty else { throw SpeechError.emptyAudio }
        let text = try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try self.decodeNow(clip.samples) })
            }
        }
        return Transcript(text: text, language: "en", durationSeconds: clip.duration, provider: name)
    }

    private func decodeNow(_ samples: [Int16]) throws -> String {
        if decoder == nil {
            let model = modelDirectory
            decoder = vc_asr_open(
                model.appendingPathComponent("en-us").path, model.appendingPathComponent("en-us.lm.bin").path,
                model.appendingPathComponent("cmudict-en-us.dict").path)
        }
        guard let decoder else { throw SpeechError.engineFailed(provider: name) }
        var text = [CChar](repeating: 0, count: 8_192)
        let length = samples.withUnsafeBufferPointer { buffer in
            vc_asr_decode(decoder, buffer.baseAddress, buffer.count, &text, text.count)
        }
        guard length >= 0 else { throw SpeechError.engineFailed(provider: name) }
        return String(decoding: text.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
