import Foundation
import Testing
import VividCrowdTesting

@testable import VividCrowdCore

/// A synthesizer that returns a tone as long as the text has characters (a tenth of a second each).
private struct ToneSynthesizer: SpeechSynthesizer {
    let name = "tone"
    func synthesize(_ text: String, language: String?, voice: String?) async throws -> SpeechAudio {
        let clip = AudioClip(samples: (0..<(text.count * 1_600)).map { Int16(($0 % 32) * 500) }, sampleRate: 16_000)
        return SpeechAudio(data: WAVCodec.encode(clip), contentType: "audio/wav", durationSeconds: clip.duration)
    }
}

/// A recognizer that reports how many samples it was given.
private struct CountingRecognizer: SpeechRecognizer {
    let name = "counting"
    func transcribe(_ audio: AudioUpload, language: String?) async throws -> Transcript {
        let clip = try WAVCodec.decode(audio.data)
        return Transcript(text: "\(clip.samples.count)", language: language ?? "en", durationSeconds: clip.duration, provider: name)
    }
}

/// Counts up from 0, from any thread.
private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func next() -> Int { lock.withLock { value += 1; return value } }
}

@Suite("Speech: WAV, media, limits, error rates")
struct SpeechDeskTests {
    @Test("WAV files round-trip, and 8-bit stereo, 24-bit and float files decode to the same mono signal")
    func wav() throws {
        let clip = AudioClip(samples: [0, 1_000, -1_000, 32_767, -32_768, 5], sampleRate: 22_050)
        #expect(try WAVCodec.decode(WAVCodec.encode(clip)) == clip)

        func file(format: UInt16, channels: UInt16, bits: UInt16, frames: [[Double]]) -> Data {
            var data = Data()
            func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) } }
            let width = Int(bits) / 8
            let bytes = frames.count * Int(channels) * width
            data += Data("RIFF".utf8); append(UInt32(36 + bytes + 12)); data += Data("WAVE".utf8)
            // An unknown chunk first: readers must skip it.
            data += Data("LIST".utf8); append(UInt32(4)); data += Data("INFO".utf8)
            data += Data("fmt ".utf8); append(UInt32(16)); append(format); append(channels); append(UInt32(8_000))
            append(UInt32(8_000 * Int(channels) * width)); append(UInt16(Int(channels) * width)); append(bits)
            data += Data("data".utf8); append(UInt32(bytes))
            for frame in frames {
                for value in frame {
                    switch (format, bits) {
                    case (3, _): append(Float(value).bitPattern)
                    case (_, 8): append(UInt8(Int(value * 127) + 128))
                    case (_, 24): let v = Int32(value * 8_388_607); append(UInt8(truncatingIfNeeded: v)); append(UInt8(truncatingIfNeeded: v >> 8)); append(UInt8(truncatingIfNeeded: v >> 16))
                    default: append(Int16(value * 32_767))
                    }
                }
            }
            return data
        }
        let signal = [0.5, -0.5, 0.25, 0]
        for (format, channels, bits) in [(UInt16(1), UInt16(2), UInt16(8)), (1, 1, 24), (3, 1, 32), (3, 2, 32)] {
            let decoded = try WAVCodec.decode(file(format: format, channels: channels, bits: bits, frames: signal.map { [Double](repeating: $0, count: Int(channels)) }))
            #expect(decoded.sampleRate == 8_000 && decoded.samples.count == 4)
            for (sample, expected) in zip(decoded.samples, signal) {
                #expect(abs(Double(sample) / 32_768 - expected) < 0.01, "format \(format) \(channels)ch \(bits)-bit: \(decoded.samples)")
            }
        }
        #expect(throws: SpeechError.unsupportedAudio("WAV with format code 1 and 12-bit samples (send PCM or 32-bit float)")) {
            try WAVCodec.decode(file(format: 1, channels: 1, bits: 12, frames: []))
        }
        #expect(throws: SpeechError.unsupportedAudio("Ogg audio")) { try WAVCodec.decode(Data("OggS\0\0\0\0\0\0\0\0".utf8)) }
        #expect(throws: SpeechError.unsupportedAudio("an empty file")) { try WAVCodec.decode(Data()) }
        let whole = WAVCodec.encode(clip)
        #expect(throws: SpeechError.corruptAudio("it holds no samples (no data chunk)")) { try WAVCodec.decode(whole.prefix(36)) }
        #expect(throws: SpeechError.corruptAudio("its format chunk is cut short")) { try WAVCodec.decode(whole.prefix(30)) }
        // A recording stopped early: the data chunk claims more than the file holds; what is there is read.
        #expect(try WAVCodec.decode(whole.prefix(48)).samples == [0, 1_000])
    }

    @Test("resampling keeps the duration and what lies below the new Nyquist frequency, and removes what lies above")
    func resampling() {
        let ramp = AudioClip(samples: (0..<2_205).map { Int16($0) }, sampleRate: 22_050)
        let down = ramp.resampled(to: 16_000)
        #expect(down.sampleRate == 16_000 && down.samples.count == 1_600)
        #expect(abs(down.duration - ramp.duration) < 0.001)
        let interior = Array(down.samples[40..<1_560])
        #expect(zip(interior, interior.dropFirst()).allSatisfy { $0 <= $1 })
        #expect(abs(Int(down.samples[800]) - 1_102) <= 2)

        func tone(_ frequency: Double) -> AudioClip {
            AudioClip(samples: (0..<22_050).map { Int16(10_000 * sin(2 * Double.pi * frequency * Double($0) / 22_050)) }, sampleRate: 22_050)
        }
        func amplitude(_ clip: AudioClip) -> Double {
            let middle = clip.samples[2_000..<(clip.samples.count - 2_000)]
            return (middle.map { Double($0) * Double($0) }.reduce(0, +) / Double(middle.count)).squareRoot() * 2.0.squareRoot()
        }
        // 1 kHz passes; 10 kHz, above the new 8 kHz Nyquist, would fold back to 6 kHz: it is filtered out instead.
        #expect(abs(amplitude(tone(1_000).resampled(to: 16_000)) - 10_000) < 300)
        #expect(amplitude(tone(10_000).resampled(to: 16_000)) < 300)
        // Raising the rate keeps a tone too.
        #expect(abs(amplitude(tone(1_000).resampled(to: 48_000)) - 10_000) < 300)
    }

    @Test("media is stored under random names, read back only by those names, and the oldest goes past capacity")
    func media() async throws {
        let folder = URL(fileURLWithPath: try temporaryDirectory())
        try Data("secret".utf8).write(to: folder.appendingPathComponent("notes.txt"))
        // A clock a second further on each time: names sort by it.
        let ticks = Counter()
        let clock: @Sendable () -> Date = { Date(timeIntervalSince1970: 1_800_000_000 + Double(ticks.next())) }
        let store = MediaStore(directory: folder, capacity: 2, now: clock)
        let first = try await store.store(Data([1]), fileExtension: "wav")
        let second = try await store.store(Data([2]), fileExtension: "mp3")
        #expect(MediaStore.isValidID(first) && first.hasSuffix(".wav") && first != second)
        let (firstRead, secondRead) = (await store.read(first), await store.read(second))
        #expect(firstRead?.data == Data([1]) && secondRead?.contentType == "audio/mpeg")
        for bad in ["notes.txt", "../notes.txt", first.uppercased(), String(first.dropFirst()), first + "/", "/" + first] {
            let found = await store.read(bad)
            #expect(found == nil, "\(bad)")
        }
        await #expect(throws: MediaStoreError.unsupportedExtension("txt")) { try await store.store(Data(), fileExtension: "txt") }
        let third = try await store.store(Data([3]), fileExtension: "wav")
        let (evicted, kept) = (await store.read(first), await store.read(third))
        #expect(evicted == nil && kept?.data == Data([3]))
        // A new store over the same folder knows the files already there, oldest first.
        let reopened = MediaStore(directory: folder, capacity: 2, now: clock)
        _ = try await reopened.store(Data([4]), fileExtension: "wav")
        let (oldest, newer) = (await reopened.read(second), await reopened.read(third))
        #expect(oldest == nil && newer != nil)
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("notes.txt").path))
    }

    @Test("the desk checks size, duration and text limits before any provider runs, and names missing providers' settings")
    func limits() async throws {
        let folder = URL(fileURLWithPath: try temporaryDirectory())
        let desk = SpeechDesk(
            recognizer: CountingRecognizer(), synthesizer: ToneSynthesizer(), media: MediaStore(directory: folder),
            limits: SpeechLimits(maximumBytes: 40_000, maximumSeconds: 1, maximumTextCharacters: 10))
        let second = WAVCodec.encode(AudioClip(samples: [Int16](repeating: 0, count: 16_000), sampleRate: 16_000))
        #expect(try await desk.transcribe(AudioUpload(data: second), language: nil).text == "16000")
        let longer = WAVCodec.encode(AudioClip(samples: [Int16](repeating: 0, count: 17_000), sampleRate: 16_000))
        await #expect(throws: SpeechError.tooLong(seconds: 1.0625, limit: 1)) { try await desk.transcribe(AudioUpload(data: longer), language: nil) }
        await #expect(throws: SpeechError.tooLarge(bytes: 40_001, limit: 40_000)) { try await desk.transcribe(AudioUpload(data: Data(count: 40_001)), language: nil) }
        await #expect(throws: SpeechError.emptyAudio) { try await desk.transcribe(AudioUpload(data: Data()), language: nil) }
        let (id, audio) = try await desk.synthesize("  hello  ", language: nil, voice: nil)
        let stored = await desk.media.read(id)
        #expect(abs(audio.durationSeconds - 0.5) < 0.001 && stored?.data == audio.data)
        await #expect(throws: SpeechError.emptyText) { try await desk.synthesize(" \n ", language: nil, voice: nil) }
        await #expect(throws: SpeechError.textTooLong(characters: 11, limit: 10)) { try await desk.synthesize("hello world", language: nil, voice: nil) }

        let silent = SpeechDesk(recognizer: nil, synthesizer: nil, media: MediaStore(directory: folder))
        await #expect(throws: SpeechError.notConfigured(provider: "speech recognition", settings: ["SPEECH_RECOGNIZER"])) {
            try await silent.transcribe(AudioUpload(data: second), language: nil)
        }
        await #expect(throws: SpeechError.notConfigured(provider: "speech synthesis", settings: ["SPEECH_SYNTHESIZER"])) {
            try await silent.synthesize("hi", language: nil, voice: nil)
        }
    }

    @Test("error rates count word edits for English and character edits for Chinese")
    func errorRates() {
        #expect(ErrorRate.rate(said: "What is the price?", heard: "what is the price") == 0)
        #expect(ErrorRate.rate(said: "what is the price of it", heard: "what is a price it") == 2.0 / 6)
        #expect(ErrorRate.rate(said: "hello", heard: "") == 1)
        #expect(ErrorRate.rate(said: "你好，价格多少？", heard: "你好价钱多少") == 1.0 / 6)
        #expect(ErrorRate.units("Don't stop") == ["don't", "stop"])
        #expect(speechLanguageCode("zh-CN") == "zh" && speechLanguageCode("EN_us") == "en" && speechLanguageCode("fr") == nil)
    }

    @Test("a training frame may ask for voice; customer_response then carries the spoken reply, other frames pass unchanged")
    func trainingVoice() async throws {
        #expect(try TrainingConversation.input(fromFrame: #"{"message": " hi ", "voice": true}"#) == .init(message: "hi", voice: true))
        #expect(try TrainingConversation.input(fromFrame: #"{"message": "hi"}"#) == .init(message: "hi", voice: false))
        for bad in [#"{"message": "hi", "voice": "yes"}"#, #"{"message": "hi", "voice": true, "x": 1}"#, #"{"voice": true}"#, "[1]"] {
            #expect(throws: (any Error).self, "\(bad)") { try TrainingConversation.input(fromFrame: bad) }
        }
        let folder = URL(fileURLWithPath: try temporaryDirectory())
        let desk = SpeechDesk(recognizer: nil, synthesizer: ToneSynthesizer(), media: MediaStore(directory: folder),
                              limits: SpeechLimits(maximumTextCharacters: 20))
        let reply = ConversationEvent.notice(ConversationFrame(type: "customer_response", fields: ["content": "Too expensive."]))
        guard case .notice(let spoken) = await TrainingConversation.speaking(reply, with: desk) else { Issue.record("not a notice"); return }
        let url = try #require(spoken.fields["audio_url"]?.stringValue)
        let media = await desk.media.read(String(url.dropFirst("/api/media/".count)))
        #expect(media != nil)
        #expect(spoken.fields["audio_seconds"]?.doubleValue == 1.4 && spoken.fields["content"]?.stringValue == "Too expensive.")
        let long = ConversationEvent.notice(ConversationFrame(type: "customer_response", fields: ["content": .string(String(repeating: "x", count: 30))]))
        guard case .notice(let refused) = await TrainingConversation.speaking(long, with: desk) else { Issue.record("not a notice"); return }
        #expect(refused.fields["audio_url"] == nil && refused.fields["audio_error"]?.stringValue?.contains("at most 20") == true)
        let other = ConversationEvent.notice(ConversationFrame(type: "evaluation", fields: ["score": 3]))
        let passed = await TrainingConversation.speaking(other, with: desk)
        #expect(passed == other)
    }
}
