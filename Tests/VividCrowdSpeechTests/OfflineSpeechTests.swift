import Foundation
import Testing
import VividCrowdCore
import VividCrowdSpeech
import VividCrowdTesting

/// espeak-ng's lines, recorded once (Tests/Fixtures/speech): it varies its output from call to call.
func spokenFixture(_ name: String) throws -> Data {
    try Data(contentsOf: repositoryRoot.appendingPathComponent("Tests/Fixtures/speech/\(name).wav"))
}

@Suite("Offline speech: espeak-ng and pocketsphinx")
struct OfflineSpeechTests {
    @Test("espeak-ng speaks English and Mandarin as 22,050 Hz WAV whose length follows the text")
    func synthesis() async throws {
        let synthesizer = EspeakSynthesizer()
        let short = try await synthesizer.synthesize("Good morning.", language: nil, voice: nil)
        let long = try await synthesizer.synthesize(
            "Good morning. I would like to hear more about the price and the delivery time.", language: nil, voice: nil)
        let chinese = try await synthesizer.synthesize("你好，请问价格是多少？", language: nil, voice: nil)
        for audio in [short, long, chinese] {
            #expect(audio.contentType == "audio/wav")
            let clip = try WAVCodec.decode(audio.data)
            #expect(clip.sampleRate == 22_050)
            #expect(abs(clip.duration - audio.durationSeconds) < 0.001)
            #expect(clip.samples.contains { abs(Int($0)) > 1_000 })
        }
        #expect(short.durationSeconds > 0.3)
        #expect(long.durationSeconds > short.durationSeconds * 3)
        #expect(chinese.durationSeconds > 1)
    }

    @Test("an unknown voice, or a name that is not a plain voice name, is refused by name")
    func unknownVoice() async throws {
        for voice in ["xx-nonexistent", "../../../../etc/passwd", "en us", ""] {
            await #expect(throws: SpeechError.unsupportedLanguage(voice, provider: "espeak-ng")) {
                _ = try await EspeakSynthesizer().synthesize("hello", language: nil, voice: voice)
            }
        }
        let variant = try await EspeakSynthesizer().synthesize("hello", language: nil, voice: "en-us+f3")
        #expect(variant.durationSeconds > 0.2)
    }

    @Test("pocketsphinx hears espeak-ng's English closely enough, and nothing in silence")
    func recognition() async throws {
        let synthesizer = EspeakSynthesizer()
        let recognizer = PocketSphinxRecognizer()
        #expect(recognizer.modelIsInstalled)
        // Quality is the voice bench's business (reports/voice.md: espeak-ng's voice is hard for pocketsphinx's
        // model); this checks that most words of a clear line come back, from a line recorded once.
        let said = "what is the price of the product"
        let audio = try spokenFixture("price-of-the-product")
        let transcript = try await recognizer.transcribe(AudioUpload(data: audio), language: "en")
        #expect(transcript.provider == "pocketsphinx")
        #expect(abs(transcript.durationSeconds - (try WAVCodec.decode(audio).duration)) < 0.01)
        #expect(ErrorRate.rate(said: said, heard: transcript.text) < 0.5, "heard \(transcript.text)")
        let transcripts = [transcript.text]

        // Each utterance stands alone (batch normalisation, no noise tracking across utterances): what another user
        // said before does not change what is heard.
        let other = try await synthesizer.synthesize("please send me the contract tomorrow", language: "en", voice: nil)
        _ = try await recognizer.transcribe(AudioUpload(data: other.data), language: "en")
        #expect(try await recognizer.transcribe(AudioUpload(data: audio), language: "en").text == transcripts[0])
        #expect(try await PocketSphinxRecognizer().transcribe(AudioUpload(data: audio), language: nil).text == transcripts[0])

        let silence = WAVCodec.encode(AudioClip(samples: [Int16](repeating: 0, count: 16_000), sampleRate: 16_000))
        let nothing = try await recognizer.transcribe(AudioUpload(data: silence), language: nil)
        #expect(nothing.text.isEmpty)
    }

    @Test("pocketsphinx refuses Chinese and audio that is not WAV, saying what it got")
    func recognitionRefusals() async throws {
        let recognizer = PocketSphinxRecognizer()
        let silence = WAVCodec.encode(AudioClip(samples: [Int16](repeating: 0, count: 1_600), sampleRate: 16_000))
        await #expect(throws: SpeechError.unsupportedLanguage("zh", provider: "pocketsphinx")) {
            _ = try await recognizer.transcribe(AudioUpload(data: silence), language: "zh")
        }
        let webm = Data([0x1A, 0x45, 0xDF, 0xA3, 0, 0, 0, 0, 0, 0, 0, 0])
        await #expect(throws: SpeechError.unsupportedAudio("WebM/Matroska audio")) {
            _ = try await recognizer.transcribe(AudioUpload(data: webm), language: nil)
        }
    }
}
