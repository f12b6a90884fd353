import ArgumentParser
import Foundation
import VividCrowdCore
import VividCrowdSpeech

/// The offline speech engines: recognition error rate on synthesised speech, real-time factors, a spoken turn's
/// speech overhead.
struct VoiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "voice",
        abstract: "Offline speech: pocketsphinx's word error rate on espeak-ng speech of held text, real-time factors.",
        discussion: """
            Texts are JSON lines with a "query" field (the suites' queries.jsonl) or plain lines; a seeded sample of
            --count is spoken by espeak-ng and heard by pocketsphinx. Chinese texts measure synthesis only (no offline
            Chinese recognizer is packaged). Writes reports/voice.{md,json}.
            """)

    @Option(help: "English texts to speak and hear back (JSON lines with \"query\", or plain lines).")
    var english = "corpora/suites/hwu64/queries.jsonl"

    @Option(help: "Chinese texts to speak (synthesis speed only).")
    var chinese = "corpora/suites/qa/queries.jsonl"

    @Option(help: "Texts sampled from each file.")
    var count = 100

    @Option(help: "Seed of the sample.")
    var seed: UInt64 = 7

    @Option(help: "Talking-head videos made offline (ffmpeg) from the first English texts, for their speed; 0 for none.")
    var videos = 10

    @Option(help: "The portrait of those videos.")
    var portrait = "Tests/Fixtures/video/portrait.png"

    @Option(help: "Directory for the reports.")
    var reports = "reports"

    struct Report: Codable {
        var englishTexts: Int
        var words: Int
        var wordErrorRate: Double
        var sentencesExact: Int
        var medianSentenceErrorRate: Double
        var synthesisRealTimeFactorEnglish: Double
        var synthesisRealTimeFactorChinese: Double
        var recognitionRealTimeFactor: Double
        var chineseTexts: Int
        var spokenSecondsEnglish: Double
        var spokenSecondsChinese: Double
        var turnSpeechMilliseconds: Double
        var videos: Int = 0
        var videoSpeechSeconds: Double = 0
        var videoRealTimeFactor: Double = 0
        var videoBytesPerSecond: Double = 0
        var examples: [Example]

        struct Example: Codable {
            var said: String
            var heard: String
        }

        enum CodingKeys: String, CodingKey {
            case words, examples
            case englishTexts = "english_texts"
            case wordErrorRate = "word_error_rate"
            case sentencesExact = "sentences_exact"
            case medianSentenceErrorRate = "median_sentence_error_rate"
            case synthesisRealTimeFactorEnglish = "synthesis_rtf_english"
            case synthesisRealTimeFactorChinese = "synthesis_rtf_chinese"
            case recognitionRealTimeFactor = "recognition_rtf"
            case chineseTexts = "chinese_texts"
            case spokenSecondsEnglish = "spoken_seconds_english"
            case spokenSecondsChinese = "spoken_seconds_chinese"
            case turnSpeechMilliseconds = "turn_speech_ms"
            case videos
            case videoSpeechSeconds = "video_speech_seconds"
            case videoRealTimeFactor = "video_rtf"
            case videoBytesPerSecond = "video_bytes_per_second"
        }
    }

    func run() async throws {
        let synthesizer = EspeakSynthesizer()
        let recognizer = PocketSphinxRecognizer()
        guard recognizer.modelIsInstalled else {
            throw ValidationError("pocketsphinx's English model is missing: apt-get install pocketsphinx-en-us")
        }
        let englishTexts = try Self.sample(try Self.texts(english), count: count, seed: seed)
        let chineseTexts = try Self.sample(try Self.texts(chinese), count: count, seed: seed)
        // Warm both engines (the recognizer loads its model on first use) outside the timings.
        let warm = try await synthesizer.synthesize("hello", language: "en", voice: nil)
        _ = try await recognizer.transcribe(AudioUpload(data: warm.data), language: "en")

        var edits = 0, words = 0, exact = 0
        var rates: [Double] = []
        var synthesisSeconds = 0.0, recognitionSeconds = 0.0, spoken = 0.0
        var examples: [Report.Example] = []
        var turns: [Double] = []
        for (index, text) in englishTexts.enumerated() {
            var started = ContinuousClock.now
            let audio = try await synthesizer.synthesize(text, language: "en", voice: nil)
            let synthesis = (ContinuousClock.now - started).seconds
            synthesisSeconds += synthesis
            started = ContinuousClock.now
            let heard = try await recognizer.transcribe(AudioUpload(data: audio.data), language: "en").text
            let recognition = (ContinuousClock.now - started).seconds
            recognitionSeconds += recognition
            // A spoken turn's speech work: the trainee's line heard, the customer's reply (here: the same line) spoken.
            turns.append((synthesis + recognition) * 1000)
            spoken += audio.durationSeconds
            let said = ErrorRate.units(text)
            let wrong = ErrorRate.edits(said: said, heard: ErrorRate.units(heard))
            edits += wrong
            words += said.count
            if wrong == 0 { exact += 1 }
            rates.append(said.isEmpty ? 0 : Double(wrong) / Double(said.count))
            if examples.count < 8 { examples.append(.init(said: text, heard: heard)) }
            if (index + 1) % 25 == 0 { progress("voice: \(index + 1)/\(englishTexts.count) English texts") }
        }
        var chineseSeconds = 0.0, chineseSpoken = 0.0
        for text in chineseTexts {
            let started = ContinuousClock.now
            let audio = try await synthesizer.synthesize(text, language: "zh", voice: nil)
            chineseSeconds += (ContinuousClock.now - started).seconds
            chineseSpoken += audio.durationSeconds
        }
        var report = Report(
            englishTexts: englishTexts.count, words: words, wordErrorRate: Double(edits) / Double(max(words, 1)),
            sentencesExact: exact, medianSentenceErrorRate: Self.median(rates),
            synthesisRealTimeFactorEnglish: synthesisSeconds / max(spoken, 1e-9),
            synthesisRealTimeFactorChinese: chineseSeconds / max(chineseSpoken, 1e-9),
            recognitionRealTimeFactor: recognitionSeconds / max(spoken, 1e-9), chineseTexts: chineseTexts.count,
            spokenSecondsEnglish: spoken, spokenSecondsChinese: chineseSpoken, turnSpeechMilliseconds: Self.median(turns),
            examples: examples)
        if videos > 0 { try await measureVideos(Array(englishTexts.prefix(videos)), synthesizer: synthesizer, into: &report) }
        try writeJSON(report, to: "\(reports)/voice.json")
        try writeText(markdown(report), to: "\(reports)/voice.md")
        print(markdown(report))
    }

    /// Offline talking heads of `texts` spoken: seconds of work per second of video, and the file size.
    func measureVideos(_ texts: [String], synthesizer: EspeakSynthesizer, into report: inout Report) async throws {
        guard let ffmpeg = ExternalProgram.locate("ffmpeg") else {
            throw ValidationError("ffmpeg is not installed (scripts/ensure-system-packages.sh); pass --videos 0 to skip the videos")
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vividcrowd-voice-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let media = MediaStore(directory: folder)
        let maker = FFmpegTalkingHead(media: media, ffmpeg: ffmpeg)
        let image = MediaStore.urlPath(for: try await media.store(Data(contentsOf: URL(fileURLWithPath: portrait)), fileExtension: "png"))
        var working = 0.0, spoken = 0.0, bytes = 0
        for text in texts {
            let audio = try await synthesizer.synthesize(text, language: "en", voice: nil)
            let speech = MediaStore.urlPath(for: try await media.store(audio.data, fileExtension: "wav"))
            let started = ContinuousClock.now
            let video = try await maker.generate(imageURL: image, audioURL: speech)
            working += (ContinuousClock.now - started).seconds
            spoken += audio.durationSeconds
            bytes += video.data.count
        }
        report.videos = texts.count
        report.videoSpeechSeconds = spoken
        report.videoRealTimeFactor = working / max(spoken, 1e-9)
        report.videoBytesPerSecond = Double(bytes) / max(spoken, 1e-9)
    }

    func markdown(_ report: Report) -> String {
        func f(_ value: Double, _ digits: Int = 3) -> String { String(format: "%.\(digits)f", value) }
        var lines = [
            "# Offline speech",
            "",
            "`vividcrowd-bench voice --english \(english) --chinese \(chinese) --count \(count) --seed \(seed) --videos \(videos)` (release",
            "build, one thread each; ffmpeg uses both cores). espeak-ng speaks a seeded sample of held texts; pocketsphinx (Debian's en-us model) hears the English",
            "back. This measures the two offline engines together; espeak-ng's formant voice is far from the human speech",
            "pocketsphinx's model was trained on, so it is not pocketsphinx's rate on people (no freely licensed recorded",
            "speech set was available offline here). espeak-ng varies its output a little from call to call, so reruns differ",
            "in the second digit of the error rate.",
            "",
            "| measure | value |",
            "|---|---|",
            "| English texts / words | \(report.englishTexts) / \(report.words) |",
            "| word error rate (all words) | \(f(report.wordErrorRate)) |",
            "| sentences heard exactly | \(report.sentencesExact) of \(report.englishTexts) |",
            "| median sentence error rate | \(f(report.medianSentenceErrorRate)) |",
            "| recognition real-time factor | \(f(report.recognitionRealTimeFactor)) (\(f(report.spokenSecondsEnglish, 1)) s of speech) |",
            "| synthesis real-time factor, English | \(f(report.synthesisRealTimeFactorEnglish, 4)) |",
            "| synthesis real-time factor, Chinese | \(f(report.synthesisRealTimeFactorChinese, 4)) (\(report.chineseTexts) texts, \(f(report.spokenSecondsChinese, 1)) s) |",
            "| a spoken turn's speech work, median (hear a line + speak one as long) | \(f(report.turnSpeechMilliseconds, 0)) ms |",
            "| offline talking-head video (ffmpeg, 512×608 H.264/AAC), real-time factor | \(report.videos == 0 ? "not measured" : "\(f(report.videoRealTimeFactor)) (\(report.videos) videos, \(f(report.videoSpeechSeconds, 1)) s; \(f(report.videoBytesPerSecond / 1024, 0)) KB per second)") |",
            "",
            "A whole spoken training turn through the server (hear, evaluate and reply with replayed LLM calls, speak, fetch):",
            "`scripts/voice-latency.sh`, reports/spoken-turn.md.",
            "",
            "Chinese recognition: no offline engine with a Chinese model is packaged by Debian or bundled on PyPI without a",
            "download, so there is no character error rate here; `SPEECH_RECOGNIZER=offline` refuses `zh`.",
            "",
            "## Examples",
            "",
            "| said | heard |",
            "|---|---|",
        ]
        lines += report.examples.map { "| \($0.said) | \($0.heard) |" }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Lines of a file: each JSON line's "query", or the line itself.
    static func texts(_ path: String) throws -> [String] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return text.split(whereSeparator: \.isNewline).compactMap { line in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { return nil }
            if trimmed.hasPrefix("{") { return (try? JSONValue.parse(trimmed))?["query"]?.stringValue }
            return trimmed
        }
    }

    /// `count` texts drawn without replacement by a seeded generator, in a stable order.
    static func sample(_ texts: [String], count: Int, seed: UInt64) throws -> [String] {
        guard !texts.isEmpty else { throw ValidationError("no texts to speak") }
        var generator = SeededGenerator(seed: seed)
        return Array(texts.shuffled(using: &generator).prefix(max(1, count)))
    }

    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
}
