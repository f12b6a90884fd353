import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing
import VividCrowdCore
import VividCrowdTesting

@testable import vividcrowd_server

extension ServerSuites {
    @Suite("Speech routes: synthesis, transcription and the media route, offline", .serialized)
    struct SpeechEndToEndTests {
        @Test("a line is spoken, stored, served, and heard back; both transcription paths take multipart and raw WAV")
        func roundTrip() async throws {
            try await withTestServer { client, _ in
                let said = "what is the price of the product"
                let made = try await requestJSON(client, "/api/digital-customer/audio/synthesize", method: .post, body: #"{"text": "\#(said)"}"#)
                try #require(made.status == .ok, "\(made.json)")
                #expect(made.json["provider"]?.stringValue == "espeak-ng" && made.json["content_type"]?.stringValue == "audio/wav")
                let url = try #require(made.json["audio_url"]?.stringValue)
                #expect(url.hasPrefix("/api/media/") && url.hasSuffix(".wav"))
                let served = try await client.execute(uri: url, method: .get)
                #expect(served.status == .ok && served.headers[.contentType] == "audio/wav")
                let wav = Data(buffer: served.body)
                let clip = try WAVCodec.decode(wav)
                #expect(abs(clip.duration - (made.json["duration_seconds"]?.doubleValue ?? 0)) < 0.01)

                let direct = try await client.execute(
                    uri: "/api/digital-customer/audio/synthesize", method: .post, headers: [.accept: "audio/wav"],
                    body: ByteBuffer(string: #"{"text": "\#(said)", "language": "en-US"}"#))
                #expect(direct.status == .ok && direct.headers[.contentType] == "audio/wav")
                #expect(abs(try WAVCodec.decode(Data(buffer: direct.body)).duration - clip.duration) < 0.05)

                // espeak-ng varies from call to call, so recognition is checked on its line recorded once.
                let recorded = try Data(contentsOf: repositoryRoot.appendingPathComponent("Tests/Fixtures/speech/price-of-the-product.wav"))
                let form = try await uploadForm(client, "/api/digital-customer/audio/transcribe", fields: [("language", "en")], fileName: "line.wav", contents: recorded)
                try #require(form.status == .ok, "\(form.json)")
                #expect(form.json["provider"]?.stringValue == "pocketsphinx" && form.json["language"]?.stringValue == "en")
                let heard = form.json["text"]?.stringValue ?? ""
                #expect(ErrorRate.rate(said: said, heard: heard) < 0.5, "heard \(heard)")
                let raw = try await client.execute(
                    uri: "/api/celebrity/digital-human/transcribe-audio?language=en", method: .post, headers: [.contentType: "audio/wav"],
                    body: ByteBuffer(data: recorded))
                #expect(raw.status == .ok)
                #expect(try JSONValue.parse(String(buffer: raw.body))["text"]?.stringValue == heard)
            }
        }

        @Test("bad audio, bad requests and unknown media get clear refusals; a provider switched off names its setting")
        func refusals() async throws {
            try await withTestServer(extra: ["SPEECH_MAX_UPLOAD_MB": "1", "SPEECH_MAX_SECONDS": "2", "SPEECH_MAX_TEXT": "40"]) { client, _ in
                let transcribe = "/api/digital-customer/audio/transcribe"
                let mp3 = Data([0x49, 0x44, 0x33, 4, 0, 0, 0, 0, 0, 0, 0, 0])
                let notAudio = try await uploadForm(client, transcribe, fields: [], fileName: "x.mp3", contents: mp3)
                #expect(notAudio.status == .unprocessableContent && notAudio.json["detail"]?.stringValue?.contains("MP3") == true)
                let cut = WAVCodec.encode(AudioClip(samples: [1, 2, 3], sampleRate: 16_000)).prefix(30)
                let corrupt = try await uploadForm(client, transcribe, fields: [], fileName: "x.wav", contents: Data(cut))
                #expect(corrupt.status == .unprocessableContent, "\(corrupt.json)")
                let long = WAVCodec.encode(AudioClip(samples: [Int16](repeating: 0, count: 16_000 * 3), sampleRate: 16_000))
                let tooLong = try await uploadForm(client, transcribe, fields: [], fileName: "x.wav", contents: long)
                #expect(tooLong.status == .unprocessableContent && tooLong.json["detail"]?.stringValue?.contains("at most 2 s") == true)
                let huge = try await uploadForm(client, transcribe, fields: [], fileName: "x.wav", contents: Data(count: 1_100_000))
                #expect(huge.status == .contentTooLarge)
                let chinese = try await uploadForm(client, transcribe, fields: [("language", "zh")], fileName: "x.wav", contents: long.prefix(1_000))
                #expect(chinese.status == .unprocessableContent && chinese.json["detail"]?.stringValue?.contains("pocketsphinx") == true)
                let klingon = try await uploadForm(client, transcribe, fields: [("language", "tlh")], fileName: "x.wav", contents: long)
                #expect(klingon.status == .unprocessableContent)
                let noFile = try await requestJSON(client, transcribe, method: .post, body: "{}")
                #expect(noFile.status == .unprocessableContent)

                let synthesize = "/api/digital-customer/audio/synthesize"
                for bad in ["{", #"{"text": 3}"#, #"{"text": "hi", "speed": 2}"#, #"{"text": "hi", "language": "fr"}"#, #"{"text": "   "}"#,
                            #"{"text": "\#(String(repeating: "a", count: 41))"}"#, #"{"text": "hi", "voice": "no-such-voice"}"#] {
                    let refused = try await requestJSON(client, synthesize, method: .post, body: bad)
                    #expect(refused.status == .unprocessableContent, "\(bad): \(refused.json)")
                }
                for id in ["..%2F..%2Fetc%2Fpasswd", "0123456789abcdef0123456789abcdef.wav", "0123456789ABCDEF0123456789ABCDEF.wav", "x.wav"] {
                    #expect(try await client.execute(uri: "/api/media/\(id)", method: .get).status == .notFound, "\(id)")
                }
            }
            try await withTestServer(extra: ["SPEECH_RECOGNIZER": "off", "SPEECH_SYNTHESIZER": "off"]) { client, _ in
                let wav = WAVCodec.encode(AudioClip(samples: [Int16](repeating: 0, count: 1_600), sampleRate: 16_000))
                let off = try await uploadForm(client, "/api/digital-customer/audio/transcribe", fields: [], fileName: "x.wav", contents: wav)
                #expect(off.status == .serviceUnavailable && off.json["detail"]?.stringValue?.contains("SPEECH_RECOGNIZER") == true)
                let mute = try await requestJSON(client, "/api/digital-customer/audio/synthesize", method: .post, body: #"{"text": "hi"}"#)
                #expect(mute.status == .serviceUnavailable && mute.json["detail"]?.stringValue?.contains("SPEECH_SYNTHESIZER") == true)
            }
        }
    }
}
