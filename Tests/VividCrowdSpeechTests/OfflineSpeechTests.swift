import Foundation
import Testing
import VividCrowdCore
import VividCrowdSpeech

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

    @Test("an unknown voice is refused by name")
    func unknownVoice() async throws {
        await #expect(throws: SpeechError.unsupportedLanguage("xx-nonexistent", provider: "espeak-ng")) {
            _ = try await EspeakSynthesizer().synthesize("hello", language: nil, voice: "xx-nonexistent")
        }
    }

    @Test("pocketsphinx hears espeak-ng's English closely enough, and nothing in silence")
    func recognition() async throws {
        let synthesizer = EspeakSynthesizer()
        let recognizer = PocketSphinxRecognizer()
        #expect(recognizer.modelIsInstalled)
        let said = "what is the price of the product"
        let audio = try await synthesizer.synthesize(said, language: "en", voice: nil)
        let transcript = try await recognizer.transcribe(AudioUpload(data: audio.data), language: "en")
        #expect(transcript.provider == "pocketsphinx")
        #expect(abs(transcript.durationSeconds - audio.durationSeconds) < 0.01)
        #expect(ErrorRate.rate(said: said, heard: transcript.text) <= 0.5)

        // Each utterance is normalised on its own: what came before does not change what is heard.
        let other = try await synthesizer.synthesize("please send me the contract tomorrow", language: "en", voice: nil)
        _ = try await recognizer.transcribe(AudioUpload(data: other.data), language: "en")
        #expect(try await recognizer.transcribe(AudioUpload(data: audio.data), language: "en").text == transcript.text)
        #expect(try await PocketSphinxRecognizer().transcribe(AudioUpload(data: audio.data), language: nil).text == transcript.text)

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
