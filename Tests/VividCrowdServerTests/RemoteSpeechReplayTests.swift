import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing
import VividCrowdCore
import VividCrowdTesting

@testable import vividcrowd_server

extension ServerSuites {
    /// Replays `corpora/cassettes/speech.json`, recorded by `scripts/record-speech.sh` against the local
    /// OpenAI-compatible speech server.
    @Suite("Remote speech providers replayed from a cassette", .serialized)
    struct RemoteSpeechReplayTests {
        static let remote = [
            "CASSETTE_NAME": "speech", "SPEECH_RECOGNIZER": "openai", "SPEECH_SYNTHESIZER": "openai",
            "SPEECH_BASE_URL": "http://127.0.0.1:9/v1",
        ]

        /// The recorded interactions of one endpoint.
        static func recorded(_ endpoint: LLMEndpoint) throws -> [CassetteInteraction] {
            try CassetteFile.read(from: repositoryRoot.appendingPathComponent("corpora/cassettes/speech.json")).interactions
                .filter { $0.endpoint == endpoint }
        }

        @Test("the OpenAI-compatible recognizer and synthesizer answer the routes from the recording, which holds no upload")
        func replay() async throws {
            let transcription = try #require(try Self.recorded(.audioTranscriptions).first)
            let fixture = try Data(contentsOf: repositoryRoot.appendingPathComponent("Tests/Fixtures/speech/price-of-the-product.wav"))
            // The upload is kept as its digest: the cassette holds none of the user's audio.
            #expect(transcription.request["file"]?["data_base64"] == nil)
            #expect(transcription.request["file"]?["bytes"]?.doubleValue == Double(fixture.count))
            let spoken = try Self.recorded(.audioSpeech)
            try #require(spoken.count == 2)

            try await withTestServer(extra: Self.remote) { client, _ in
                let heard = try await uploadForm(
                    client, "/api/digital-customer/audio/transcribe", fields: [("language", "en")],
                    fileName: "price-of-the-product.wav", contents: fixture)
                try #require(heard.status == .ok, "\(heard.json)")
                #expect(heard.json["provider"]?.stringValue == "openai-compatible")
                #expect(heard.json["text"]?.stringValue == transcription.response?["text"]?.stringValue)
                #expect(abs((heard.json["duration_seconds"]?.doubleValue ?? 0) - (transcription.response?["duration"]?.doubleValue ?? -1)) < 0.01)

                for line in spoken {
                    let text = try #require(line.request["input"]?.stringValue)
                    let made = try await requestJSON(
                        client, "/api/digital-customer/audio/synthesize", method: .post,
                        body: JSONValue.object(["text": .string(text)]).canonicalString)
                    try #require(made.status == .ok, "\(made.json)")
                    #expect(made.json["provider"]?.stringValue == "openai-compatible" && made.json["content_type"]?.stringValue == "audio/wav")
                    let served = try await client.execute(uri: try #require(made.json["audio_url"]?.stringValue), method: .get)
                    let recordedAudio = try #require(line.response.flatMap(BinaryBody.bytes(of:))).data
                    #expect(Data(buffer: served.body) == recordedAudio)
                    #expect(try WAVCodec.decode(recordedAudio).duration > 0.5)
                }

                // Other audio is not in the recording: a clear failure, with the cassette's path only in the log.
                var other = fixture
                other[other.count - 1] ^= 0x01
                let missed = try await uploadForm(
                    client, "/api/digital-customer/audio/transcribe", fields: [("language", "en")],
                    fileName: "price-of-the-product.wav", contents: other)
                #expect(missed.status == .serviceUnavailable, "\(missed.json)")
                let detail = missed.json["detail"]?.stringValue ?? ""
                #expect(detail.contains("openai-compatible") && !detail.contains("cassettes"), "\(detail)")
            }
        }

        @Test("when the copy to object storage fails, synthesis is 503 and keeps no file")
        func objectStorageDown() async throws {
            let oss = [
                "OSS_ACCESS_KEY_ID": "LTAIexampleid", "OSS_ACCESS_KEY_SECRET": "example-secret-key", "OSS_BUCKET_NAME": "media",
                "OSS_ENDPOINT": "oss-cn-hangzhou.aliyuncs.com",
            ]
            // Replay holds no upload: the copy fails as an unreachable bucket would.
            try await withTestServer(extra: oss) { client, services in
                let made = try await requestJSON(client, "/api/digital-customer/audio/synthesize", method: .post, body: #"{"text": "hi there"}"#)
                let detail = made.json["detail"]?.stringValue ?? ""
                #expect(made.status == .serviceUnavailable && detail.contains("object storage") && !detail.contains("example-secret-key"), "\(made.json)")
                let kept = (try? FileManager.default.contentsOfDirectory(atPath: services.speech.media.directory.path)) ?? []
                #expect(kept.isEmpty, "\(kept)")
            }
        }

        @Test("DashScope speech without a key is 'not configured', naming DASHSCOPE_API_KEY")
        func dashScopeWithoutKey() async throws {
            try await withTestServer(extra: ["SPEECH_RECOGNIZER": "dashscope", "SPEECH_SYNTHESIZER": "dashscope", "LLM_MODE": "live"]) { client, _ in
                let wav = WAVCodec.encode(AudioClip(samples: [Int16](repeating: 0, count: 1_600), sampleRate: 16_000))
                let heard = try await uploadForm(client, "/api/digital-customer/audio/transcribe", fields: [], fileName: "x.wav", contents: wav)
                #expect(heard.status == .serviceUnavailable && heard.json["detail"]?.stringValue?.contains("DASHSCOPE_API_KEY") == true, "\(heard.json)")
                let made = try await requestJSON(client, "/api/digital-customer/audio/synthesize", method: .post, body: #"{"text": "hi"}"#)
                #expect(made.status == .serviceUnavailable && made.json["detail"]?.stringValue?.contains("DASHSCOPE_API_KEY") == true, "\(made.json)")
            }
        }
    }
}
