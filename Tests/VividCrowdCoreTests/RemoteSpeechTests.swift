import Foundation
import Testing
@testable import VividCrowdCore
import VividCrowdTesting

/// A short WAV of a 440 Hz tone.
private func tone(seconds: Double = 0.5, rate: Int = 16_000) -> Data {
    let samples = (0..<Int(seconds * Double(rate))).map { Int16(8_000 * sin(2 * Double.pi * 440 * Double($0) / Double(rate))) }
    return WAVCodec.encode(AudioClip(samples: samples, sampleRate: rate))
}

/// What the fake vendor answers: OpenAI-compatible audio, DashScope's generation API (recognition or a link to
/// speech) and the linked file.
private func vendor(audio: Data) -> FakeOpenAIServer.Behaviour {
    { request, _ in
        switch request.path {
        case "/v1/audio/transcriptions":
            return .json(.object(["text": .string(" what is the price "), "duration": .number(0.5)]))
        case "/v1/audio/speech":
            return .bytes(audio, contentType: "audio/x-wav")
        case "/api/v1/services/aigc/multimodal-generation/generation":
            if request.body["input"]?["text"] != nil {
                return .json(.object(["output": .object(["audio": .object([
                    "url": .string("FILES/files/line.wav?Expires=1700000000&OSSAccessKeyId=LTAIexample&Signature=do-not-keep"),
                    "data": .string(""),
                ])])]))
            }
            return .json(.object(["output": .object(["choices": .array([.object(["message": .object([
                "content": .array([.object(["text": .string("价格是多少")])]),
                "annotations": .array([.object(["language": .string("zh")])]),
            ])])])])]))
        default:
            return .bytes(audio, contentType: "audio/wav")
        }
    }
}

@Suite("Remote speech providers through the one client and its cassettes")
struct RemoteSpeechTests {
    @Test("uploads go as multipart or a data URL, audio comes back as bytes, a linked file is fetched without the key; a cassette keeps digests and replays it all")
    func recordAndReplay() async throws {
        let upload = tone()
        let spoken = tone(seconds: 0.8, rate: 22_050)
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }

        try await FakeOpenAIServer.with(vendor(audio: spoken)) { base, log in
            let root = URL(string: base.absoluteString.replacingOccurrences(of: "/v1", with: ""))!
            let http = HTTPTransport(
                settings: .init(
                    chatBaseURL: base, dashScopeAPIBaseURL: root.appendingPathComponent("api/v1"), apiKey: testAPIKey,
                    retry: RetryPolicy(maxRetries: 0)),
                logger: .init(label: "test"))
            // The fake's link names its own address, which the reply cannot know in advance.
            let linking = LinkRewritingTransport(inner: http, from: "FILES/", to: root.absoluteString + "/")
            func client(_ mode: LLMMode) throws -> LLMClient {
                let cassette = try Cassette(
                    directory: directory, name: "speech", startEmpty: mode == .record, redactor: Redactor(secrets: [testAPIKey]))
                return LLMClient(
                    transport: CassetteTransport(cassette: cassette, mode: mode, live: mode == .replay ? nil : linking),
                    models: testModels)
            }
            func exercise(_ client: LLMClient) async throws -> [String] {
                let audio = AudioUpload(data: upload, contentType: "application/octet-stream")
                let openAIHeard = try await OpenAICompatibleRecognizer(client: client, model: "whisper-1").transcribe(audio, language: "en-US")
                let dashScopeHeard = try await DashScopeRecognizer(client: client, model: "qwen3-asr-flash").transcribe(audio, language: nil)
                let openAISaid = try await OpenAICompatibleSynthesizer(client: client, model: "tts-1", voice: "alloy").synthesize("hi", language: nil, voice: nil)
                let dashScopeSaid = try await DashScopeSynthesizer(client: client, model: "qwen3-tts-flash", voice: "Cherry").synthesize("你好", language: nil, voice: "Ethan")
                #expect(openAIHeard.text == "what is the price" && openAIHeard.language == "en" && openAIHeard.durationSeconds == 0.5)
                #expect(dashScopeHeard.text == "价格是多少" && dashScopeHeard.language == "zh")
                #expect(abs(dashScopeHeard.durationSeconds - 0.5) < 0.001)
                for said in [openAISaid, dashScopeSaid] {
                    #expect(said.data == spoken && said.contentType == "audio/wav" && abs(said.durationSeconds - 0.8) < 0.001)
                }
                return [openAIHeard.text, dashScopeHeard.text]
            }

            let recorded = try await exercise(try client(.record))
            let received = await log.requests
            #expect(received.map(\.path) == [
                "/v1/audio/transcriptions", "/api/v1/services/aigc/multimodal-generation/generation", "/v1/audio/speech",
                "/api/v1/services/aigc/multimodal-generation/generation", "/files/line.wav",
            ])
            let form = received[0]
            #expect(form.contentType?.hasPrefix("multipart/form-data; boundary=") == true)
            let formText = String(decoding: form.raw, as: UTF8.self)
            #expect(formText.contains("name=\"model\"\r\n\r\nwhisper-1\r\n") && formText.contains("name=\"language\"\r\n\r\nen\r\n"))
            #expect(formText.contains("name=\"file\"; filename=\"speech.wav\"\r\nContent-Type: audio/wav\r\n\r\n"))
            #expect(form.raw.range(of: upload) != nil)
            let dataURL = received[1].body["input"]?["messages"]?[1]?["content"]?[0]?["audio"]?.stringValue ?? ""
            #expect(dataURL == "data:audio/wav;base64," + upload.base64EncodedString())
            #expect(received[3].body["input"]?["voice"]?.stringValue == "Ethan" && received[3].body["input"]?["language_type"]?.stringValue == "Chinese")
            #expect(received.dropLast().allSatisfy { $0.authorization == "Bearer \(testAPIKey)" })
            #expect(received.last?.authorization == nil)

            let file = try String(contentsOf: URL(fileURLWithPath: directory).appendingPathComponent("speech.json"), encoding: .utf8)
            #expect(!file.contains(upload.base64EncodedString().prefix(64)))
            #expect(!file.contains("do-not-keep") && !file.contains("OSSAccessKeyId") && !file.contains(testAPIKey))
            let interactions = try CassetteFile.read(from: URL(fileURLWithPath: directory).appendingPathComponent("speech.json")).interactions
            #expect(interactions.count == 5)
            #expect(interactions.contains { $0.request["file"]?["sha256"]?.stringValue?.count == 64 })

            // Replay needs no server: the vendor is not asked again.
            #expect(try await exercise(try client(.replay)) == recorded)
            #expect(await log.requests.count == 5)
            // Other audio is a miss, not someone else's transcript.
            var other = upload
            other[other.count - 1] ^= 0x01
            await #expect(throws: SpeechError.engineFailed(provider: "openai-compatible")) {
                try await OpenAICompatibleRecognizer(client: try client(.replay), model: "whisper-1")
                    .transcribe(AudioUpload(data: other), language: "en")
            }
            try await http.shutdown()
        }
    }

    @Test("a missing key is 'not configured', an odd voice name is refused before any call, an unreadable reply fails cleanly")
    func refusals() async throws {
        let noKey = HTTPTransport(
            settings: .init(chatBaseURL: URL(string: VividCrowdConfiguration.dashScopeBaseURL)!, apiKey: nil), logger: .init(label: "test"))
        let client = LLMClient(transport: noKey, models: testModels)
        await #expect(throws: SpeechError.notConfigured(provider: "dashscope", settings: ["DASHSCOPE_API_KEY"])) {
            try await DashScopeRecognizer(client: client, model: "qwen3-asr-flash").transcribe(AudioUpload(data: tone()), language: "zh")
        }
        await #expect(throws: SpeechError.notConfigured(provider: "openai-compatible", settings: ["DASHSCOPE_API_KEY"])) {
            try await OpenAICompatibleSynthesizer(client: client, model: "tts-1", voice: "alloy").synthesize("hi", language: nil, voice: nil)
        }
        await #expect(throws: SpeechError.unsupportedVoice("../../etc/passwd")) {
            try await DashScopeSynthesizer(client: client, model: "qwen3-tts-flash", voice: "Cherry").synthesize("hi", language: nil, voice: "../../etc/passwd")
        }
        try await noKey.shutdown()

        let odd = LLMClient(transport: FixedReply(reply: .object(["output": .object(["audio": .object(["url": .string("")])])])), models: testModels)
        await #expect(throws: SpeechError.engineFailed(provider: "dashscope")) {
            try await DashScopeSynthesizer(client: odd, model: "qwen3-tts-flash", voice: "Cherry").synthesize("hi", language: nil, voice: nil)
        }
    }

    @Test("cassette keys: uploads by digest, downloads without their signature, chat bodies untouched")
    func compaction() {
        let audio = Data("RIFF-not-really".utf8)
        let upload: JSONValue = .object(["model": .string("m"), "file": BinaryBody.file(audio, name: "a.wav", contentType: "audio/wav")])
        let kept = CassetteTransport.normalise(upload, for: .audioTranscriptions)
        #expect(kept["file"]?["data_base64"] == nil && kept["file"]?["bytes"]?.doubleValue == Double(audio.count))
        // sha256 of "RIFF-not-really", as Python's hashlib computes it.
        #expect(kept["file"]?["sha256"]?.stringValue == "0c113e6e9dd291fe93ec31eef5e4de0ab22d20fc2cd86d3eb74831527a701f45")
        let inline: JSONValue = .object(["input": .object(["messages": .array([.object(["content": .array([
            .object(["audio": .string(BinaryBody.dataURL(audio, contentType: "audio/wav"))])
        ])])])])])
        let inlineKept = CassetteTransport.normalise(inline, for: .dashScopeGeneration)
        #expect(inlineKept["input"]?["messages"]?[0]?["content"]?[0]?["audio"]?.stringValue?.hasPrefix("data:audio/wav;sha256,") == true)
        #expect(CassetteTransport.normalise(inline, for: .dashScopeGeneration) != CassetteTransport.normalise(
            .object(["input": .object(["messages": .array([.object(["content": .array([
                .object(["audio": .string(BinaryBody.dataURL(audio + Data([0]), contentType: "audio/wav"))])
            ])])])])]), for: .dashScopeGeneration))
        let link = CassetteTransport.normalise(.object(["url": .string("https://oss.example/a.wav?Signature=x#y")]), for: .download)
        #expect(link["url"]?.stringValue == "https://oss.example/a.wav")
        let chat: JSONValue = .object(["messages": .array([.object(["content": .string("data:text/plain;base64,aGk=")])])])
        #expect(CassetteTransport.normalise(chat, for: .chatCompletions) == chat)
    }
}

/// Answers every call with one reply.
private struct FixedReply: LLMTransport {
    let reply: JSONValue

    func send(_ endpoint: LLMEndpoint, body: JSONValue) async throws -> JSONValue { reply }

    func stream(_ endpoint: LLMEndpoint, body: JSONValue) async throws -> AsyncThrowingStream<StreamPayload, any Error> {
        AsyncThrowingStream { $0.finish() }
    }
}
