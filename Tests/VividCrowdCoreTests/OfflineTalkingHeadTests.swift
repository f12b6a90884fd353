import Foundation
import Testing
@testable import VividCrowdCore
import VividCrowdTesting

#if canImport(Glibc)
import Glibc
#endif

/// The offline talking head runs Debian's ffmpeg (installed by scripts/ensure-system-packages.sh); these tests
/// need it and fail, naming it, when it is missing.
@Suite("Offline talking head (ffmpeg)")
struct OfflineTalkingHeadTests {
    static let portrait = repositoryRoot.appendingPathComponent("Tests/Fixtures/video/portrait.png")

    /// A 1.5 s tone standing in for speech: the video must last as long as it.
    static func speech(seconds: Double = 1.5) -> Data {
        let rate = 16_000
        let samples = (0..<Int(seconds * Double(rate))).map { Int16(8_000 * sin(Double($0) * 2 * .pi * 220 / Double(rate))) }
        return WAVCodec.encode(AudioClip(samples: samples, sampleRate: rate))
    }

    static func ffmpeg() throws -> ExternalProgram {
        try #require(ExternalProgram.locate("ffmpeg"), "ffmpeg is not installed: run scripts/ensure-system-packages.sh")
    }

    static func withMedia(_ body: (MediaStore) async throws -> Void) async throws {
        let folder = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try await body(MediaStore(directory: URL(fileURLWithPath: folder)))
    }

    @Test("a held portrait and recording become an H.264/AAC MP4 as long as the speech, index first, portrait over waveform")
    func makesVideo() async throws {
        let maker = try FFmpegTalkingHead(media: MediaStore(directory: URL(fileURLWithPath: "/nonexistent")), ffmpeg: Self.ffmpeg())
        #expect(maker.unavailableReason == nil && !maker.fetchesInputs)
        try await Self.withMedia { media in
            let maker = FFmpegTalkingHead(media: media, ffmpeg: try Self.ffmpeg())
            let image = try await media.store(Data(contentsOf: Self.portrait), fileExtension: "png")
            let audio = try await media.store(Self.speech(), fileExtension: "wav")
            let video = try await maker.generate(
                imageURL: MediaStore.urlPath(for: image), audioURL: "https://vc.example.com" + MediaStore.urlPath(for: audio))
            #expect(video.contentType == "video/mp4" && video.taskID.hasPrefix("offline-"))
            let summary = try MP4Summary.read(video.data)
            #expect(summary.topLevel.first == "ftyp")
            #expect(summary.topLevel.firstIndex(of: "moov")! < summary.topLevel.firstIndex(of: "mdat")!, "\(summary.topLevel)")
            #expect(abs(summary.durationSeconds - 1.5) < 0.15, "\(summary.durationSeconds)")
            #expect(summary.tracks.map(\.handler).sorted() == ["soun", "vide"])
            let picture = try #require(summary.tracks.first { $0.handler == "vide" })
            #expect(picture.width == FFmpegTalkingHead.width && picture.height == FFmpegTalkingHead.width + FFmpegTalkingHead.waveformHeight)
        }
    }

    @Test("links it does not hold, wrong kinds and damaged files are refused with a reason; without ffmpeg it is not configured")
    func refusals() async throws {
        try await Self.withMedia { media in
            let maker = FFmpegTalkingHead(media: media, ffmpeg: try Self.ffmpeg())
            let image = MediaStore.urlPath(for: try await media.store(Data(contentsOf: Self.portrait), fileExtension: "png"))
            let audio = MediaStore.urlPath(for: try await media.store(Self.speech(), fileExtension: "wav"))
            func refusal(_ imageURL: String, _ audioURL: String) async -> VideoError? {
                do {
                    _ = try await maker.generate(imageURL: imageURL, audioURL: audioURL)
                    return nil
                } catch {
                    return error as? VideoError
                }
            }
            // Never fetched: a link elsewhere would let a user make this server reach its own network.
            if case .badInput(let why) = await refusal("http://169.254.169.254/latest/meta-data", audio) {
                #expect(why.contains("upload-image"))
            } else { Issue.record("a remote portrait was not refused") }
            if case .badInput(let why) = await refusal(image, MediaStore.urlPath(for: String(repeating: "0", count: 32) + ".wav")) {
                #expect(why.contains("no file"))
            } else { Issue.record("a missing recording was not refused") }
            // A recording where the portrait goes, and the other way round.
            #expect(await refusal(audio, audio) == .badInput("image_url must be a PNG, JPEG or WebP picture"))
            #expect(await refusal(image, image) == .badInput("audio_url must be WAV, MP3 or Ogg audio"))
            // The right signature over damaged contents: ffmpeg refuses, the reason is the user's, the details the log's.
            let damaged = try Data(contentsOf: Self.portrait).prefix(40) + Data(repeating: 0x5A, count: 400)
            let broken = MediaStore.urlPath(for: try await media.store(damaged, fileExtension: "png"))
            if case .unreadableInput(let why, let diagnostics) = await refusal(broken, audio) {
                #expect(why.contains("could not be decoded") && !diagnostics.isEmpty)
            } else { Issue.record("a damaged portrait was not refused") }

            // Speech of no length would leave the looped portrait waiting forever; damaged speech is refused too.
            let silent = MediaStore.urlPath(for: try await media.store(Self.speech(seconds: 0), fileExtension: "wav"))
            #expect(await refusal(image, silent) == .badInput("the speech is empty (shorter than 0.1 s)"))
            let noise = MediaStore.urlPath(for: try await media.store(Data("ID3".utf8) + Data(repeating: 0x33, count: 3_000), fileExtension: "mp3"))
            if case .unreadableInput = await refusal(image, noise) {} else { Issue.record("damaged speech was not refused") }

            let missing = FFmpegTalkingHead(media: media, ffmpeg: ExternalProgram.locate("no-such-ffmpeg-here"))
            #expect(missing.unavailableReason?.description.contains("FFMPEG_PATH") == true)
            await #expect(throws: VideoError.self) { try await missing.generate(imageURL: image, audioURL: audio) }
        }
    }

    @Test("a run past its timeout is killed, not waited for")
    func timeoutKills() async throws {
        let folder = URL(fileURLWithPath: try temporaryDirectory())
        defer { try? FileManager.default.removeItem(at: folder) }
        let clock = GateClock()
        let program = try #require(ExternalProgram.locate("sh"))
        let run = Task {
            try await program.run(["-c", "echo $$ > pid.txt; exec sleep 600"], in: folder, timeout: .seconds(5), clock: clock)
        }
        // The program is a real process: wait (outside the clock) until it has started, then let the timeout fire.
        let pidFile = folder.appendingPathComponent("pid.txt")
        var pid: Int32?
        for _ in 0..<2_000 where pid == nil {
            pid = (try? String(contentsOf: pidFile, encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            if pid == nil { try await Task.sleep(for: .milliseconds(5)) }
        }
        let started = try #require(pid, "the program did not start")
        clock.release()
        await #expect(throws: TimeoutError.self) { try await run.value }
        // Reaped before the run returned: the process is gone.
        #expect(kill(started, 0) == -1 && errno == ESRCH)
    }
}

/// A clock whose sleeps wait until the test releases them.
private final class GateClock: Clock, @unchecked Sendable {
    typealias Instant = ContinuousClock.Instant
    private let lock = NSLock()
    private var released = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    var now: Instant { ContinuousClock().now }
    var minimumResolution: Duration { .nanoseconds(1) }

    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        await withCheckedContinuation { continuation in
            lock.lock()
            if released {
                lock.unlock()
                continuation.resume()
            } else {
                waiting.append(continuation)
                lock.unlock()
            }
        }
        try Task.checkCancellation()
    }

    func release() {
        lock.lock()
        released = true
        let all = waiting
        waiting = []
        lock.unlock()
        all.forEach { $0.resume() }
    }
}
