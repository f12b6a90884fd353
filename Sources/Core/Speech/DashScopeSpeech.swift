import Foundation

/// Speech recognition by DashScope's Qwen-ASR models (`qwen3-asr-flash`) over its native multimodal-generation API:
/// the audio goes inline as a `data:` URL, so no upload service is needed.
public struct DashScopeRecognizer: SpeechRecognizer {
    public let name = "dashscope"
    public let client: LLMClient
    public let model: String

    public init(client: LLMClient, model: String) {
        self.client = client
        self.model = model
    }

    public func transcribe(_ audio: AudioUpload, language: String?) async throws -> Transcript {
        let language = speechLanguageCode(language)
        var options: [String: JSONValue] = ["enable_itn": .bool(false)]
        if let language { options["language"] = .string(language) }
        let body: JSONValue = .object([
            "model": .string(model),
            "input": .object([
                "messages": .array([
                    .object(["role": .string("system"), "content": .array([.object(["text": .string("")])])]),
                    .object([
                        "role": .string("user"),
                        "content": .array([
                            .object(["audio": .string(BinaryBody.dataURL(audio.data, contentType: RemoteSpeech.contentType(of: audio)))])
                        ]),
                    ]),
                ])
            ]),
            "parameters": .object(["asr_options": .object(options)]),
        ])
        let reply = try await RemoteSpeech.call(client, .dashScopeGeneration, model: model, body: body, provider: name)
        guard let content = reply["output"]?["choices"]?[0]?["message"]?["content"]?.arrayValue else {
            throw RemoteSpeech.unreadable(client, provider: name, reply: reply)
        }
        let text = content.compactMap { $0["text"]?.stringValue }.joined()
        let heard = reply["output"]?["choices"]?[0]?["message"]?["annotations"]?[0]?["language"]?.stringValue
        return Transcript(
            text: text.trimmingCharacters(in: .whitespacesAndNewlines), language: language ?? heard ?? "",
            durationSeconds: RemoteSpeech.duration(of: audio.data), provider: name)
    }
}

/// Speech synthesis by DashScope's Qwen-TTS models (`qwen3-tts-flash`): the reply links to a WAV file, which is
/// fetched (without credentials) through the same client, so a cassette holds both steps.
public struct DashScopeSynthesizer: SpeechSynthesizer {
    public let name = "dashscope"
    public let client: LLMClient
    public let model: String
    public let defaultVoice: String

    public init(client: LLMClient, model: String, voice: String) {
        self.client = client
        self.model = model
        self.defaultVoice = voice
    }

    public func synthesize(_ text: String, language: String?, voice: String?) async throws -> SpeechAudio {
        let language = speechLanguageCode(language) ?? speechLanguage(of: text)
        let body: JSONValue = .object([
            "model": .string(model),
            "input": .object([
                "text": .string(text), "voice": .string(try RemoteSpeech.voice(voice, default: defaultVoice)),
                "language_type": .string(language == "zh" ? "Chinese" : "English"),
            ]),
        ])
        let reply = try await RemoteSpeech.call(client, .dashScopeGeneration, model: model, body: body, provider: name)
        let audio = reply["output"]?["audio"]
        if let inline = audio?["data"]?.stringValue, !inline.isEmpty, let data = Data(base64Encoded: inline) {
            return RemoteSpeech.audio(data, contentType: "audio/wav")
        }
        guard let link = audio?["url"]?.stringValue, !link.isEmpty else {
            throw RemoteSpeech.unreadable(client, provider: name, reply: reply)
        }
        let file = try await RemoteSpeech.call(client, .download, model: model, body: .object(["url": .string(link)]), provider: name)
        guard let (data, contentType) = BinaryBody.bytes(of: file), !data.isEmpty else {
            throw RemoteSpeech.unreadable(client, provider: name, reply: file)
        }
        return RemoteSpeech.audio(data, contentType: contentType)
    }
}
