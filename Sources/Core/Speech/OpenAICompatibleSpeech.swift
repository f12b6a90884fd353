import Foundation
import Logging

/// Speech recognition by an OpenAI-compatible server's `audio/transcriptions` (OpenAI, vLLM, speaches,
/// `scripts/speech-server.py`), through the one LLM client and so its cassettes.
public struct OpenAICompatibleRecognizer: SpeechRecognizer {
    public let name = "openai-compatible"
    public let client: LLMClient
    public let model: String

    public init(client: LLMClient, model: String) {
        self.client = client
        self.model = model
    }

    public func transcribe(_ audio: AudioUpload, language: String?) async throws -> Transcript {
        let language = speechLanguageCode(language)
        var body: [String: JSONValue] = [
            "model": .string(model), "response_format": .string("json"),
            "file": BinaryBody.file(
                audio.data, name: audio.fileName ?? "speech.\(RemoteSpeech.fileExtension(of: audio))",
                contentType: RemoteSpeech.contentType(of: audio)),
        ]
        if let language { body["language"] = .string(language) }
        let reply = try await RemoteSpeech.call(client, .audioTranscriptions, model: model, body: .object(body), provider: name)
        guard let text = reply["text"]?.stringValue else {
            throw RemoteSpeech.unreadable(client, provider: name, reply: reply)
        }
        return Transcript(
            text: text.trimmingCharacters(in: .whitespacesAndNewlines), language: language ?? "",
            durationSeconds: reply["duration"]?.doubleValue ?? RemoteSpeech.duration(of: audio.data), provider: name)
    }
}

/// Speech synthesis by an OpenAI-compatible server's `audio/speech`, asking for WAV.
public struct OpenAICompatibleSynthesizer: SpeechSynthesizer {
    public let name = "openai-compatible"
    public let client: LLMClient
    public let model: String
    public let defaultVoice: String

    public init(client: LLMClient, model: String, voice: String) {
        self.client = client
        self.model = model
        self.defaultVoice = voice
    }

    public func synthesize(_ text: String, language: String?, voice: String?) async throws -> SpeechAudio {
        let body: JSONValue = .object([
            "model": .string(model), "input": .string(text), "voice": .string(try RemoteSpeech.voice(voice, default: defaultVoice)),
            "response_format": .string("wav"),
        ])
        let reply = try await RemoteSpeech.call(client, .audioSpeech, model: model, body: body, provider: name)
        guard let (data, contentType) = BinaryBody.bytes(of: reply), !data.isEmpty else {
            throw RemoteSpeech.unreadable(client, provider: name, reply: reply)
        }
        return RemoteSpeech.audio(data, contentType: contentType)
    }
}

/// What the remote speech providers share: the call with its errors turned into speech errors, media types,
/// durations.
enum RemoteSpeech {
    /// One provider call; a missing key is "not configured", any other failure "failed" with the detail logged by
    /// the client.
    static func call(
        _ client: LLMClient, _ endpoint: LLMEndpoint, model: String, body: JSONValue, provider: String
    ) async throws -> JSONValue {
        do {
            return try await client.call(endpoint, model: model, body: body)
        } catch LLMError.missingAPIKey {
            throw SpeechError.notConfigured(provider: provider, settings: ["DASHSCOPE_API_KEY"])
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw SpeechError.engineFailed(provider: provider)
        }
    }

    /// A reply without the expected field: logged (redacted, cut short), answered as a failed engine.
    static func unreadable(_ client: LLMClient, provider: String, reply: JSONValue) -> SpeechError {
        client.logUnexpectedReply(provider: provider, reply: reply)
        return .engineFailed(provider: provider)
    }

    /// The media type an upload says it has, else what its bytes look like.
    static func contentType(of audio: AudioUpload) -> String {
        if let declared = audio.contentType?.split(separator: ";").first, declared.hasPrefix("audio/") {
            return String(declared).trimmingCharacters(in: .whitespaces)
        }
        return WAVCodec.looksLikeWAV(audio.data) ? "audio/wav" : "application/octet-stream"
    }

    static func fileExtension(of audio: AudioUpload) -> String {
        switch contentType(of: audio) {
        case "audio/mpeg", "audio/mp3": return "mp3"
        case "audio/ogg": return "ogg"
        case "audio/webm": return "webm"
        case "audio/flac": return "flac"
        default: return "wav"
        }
    }

    /// Seconds of a WAV, 0 when the bytes are another format.
    static func duration(of data: Data) -> Double {
        guard WAVCodec.looksLikeWAV(data), let clip = try? WAVCodec.decode(data) else { return 0 }
        return clip.duration
    }

    /// Speech bytes with a normalised media type (servers say `audio/x-wav`, `audio/wave`, or nothing useful).
    static func audio(_ data: Data, contentType: String) -> SpeechAudio {
        let declared = contentType.split(separator: ";").first.map { String($0).lowercased() } ?? ""
        let type: String
        if WAVCodec.looksLikeWAV(data) {
            type = "audio/wav"
        } else if declared == "audio/mpeg" || declared == "audio/mp3" || data.starts(with: [0x49, 0x44, 0x33]) {
            type = "audio/mpeg"
        } else {
            type = declared.hasPrefix("audio/") ? declared : "application/octet-stream"
        }
        return SpeechAudio(data: data, contentType: type, durationSeconds: duration(of: data))
    }

    /// The voice to ask for: the request's, checked to be a plain name, or the configured one.
    static func voice(_ asked: String?, default configured: String) throws -> String {
        guard let asked, !asked.isEmpty else { return configured }
        guard asked.count <= 64, asked.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) || "-_+.".unicodeScalars.contains($0) })
        else { throw SpeechError.unsupportedVoice(asked) }
        return asked
    }
}

extension LLMClient {
    /// Logs a provider reply that lacks what was expected, redacted and cut short.
    func logUnexpectedReply(provider: String, reply: JSONValue) {
        var shown = reply
        if var object = reply.objectValue, object["audio_base64"] != nil {
            object["audio_base64"] = .string("…")
            shown = .object(object)
        }
        Logger(label: "vividcrowd.speech").error(
            "speech provider reply not understood",
            metadata: ["provider": "\(provider)", "reply": "\(redactor.redact(String(shown.canonicalString.prefix(300))))"])
    }
}
