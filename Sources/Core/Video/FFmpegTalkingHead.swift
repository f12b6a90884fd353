import Crypto
import Foundation

/// The offline talking head: Debian's ffmpeg turns a portrait and a speech recording this server holds into an
/// H.264/AAC MP4 of the portrait above the voice's moving waveform. No face moves (that takes a model: Volcano
/// Engine's, or DashScope's EMO); it runs on this machine in well under the recording's length and never touches the network.
public struct FFmpegTalkingHead: TalkingHeadGenerator {
    public let name = "offline"
    public let fetchesInputs = false
    /// Where the inputs come from and the video goes; links must name files in it.
    public let media: MediaStore
    /// The ffmpeg to run; nil when none was found (every request then answers "not configured").
    public let ffmpeg: ExternalProgram?
    /// The longest video made; longer speech is cut.
    public let maximumSeconds: Double
    /// How long one ffmpeg run may take (waiting for a turn not counted).
    public let timeout: Duration
    private let clock: any Clock<Duration>
    private let runs: AsyncSemaphore

    /// The video's width; the portrait is fitted into a square of it, the waveform strip goes under it.
    static let width = 512
    static let waveformHeight = 96
    static let framesPerSecond = 25

    public init(
        media: MediaStore, ffmpeg: ExternalProgram?, maximumSeconds: Double = 120, timeout: Duration = .seconds(120),
        concurrentRuns: Int = max(1, ProcessInfo.processInfo.activeProcessorCount), clock: any Clock<Duration> = ContinuousClock()
    ) {
        self.runs = AsyncSemaphore(permits: max(1, concurrentRuns))
        self.media = media
        self.ffmpeg = ffmpeg
        self.maximumSeconds = maximumSeconds
        self.timeout = timeout
        self.clock = clock
    }

    public var unavailableReason: VideoError? { ffmpeg == nil ? missingProgram : nil }

    private var missingProgram: VideoError { .notConfigured(provider: name, settings: ["FFMPEG_PATH (or install Debian's ffmpeg)"]) }

    public func generate(imageURL: String, audioURL: String) async throws -> TalkingHeadVideo {
        if let unavailableReason { throw unavailableReason }
        let image = try await load(imageURL, what: "image_url")
        guard let imageExtension = MediaKind.imageExtension(of: image) else {
            throw VideoError.badInput("image_url must be a PNG, JPEG or WebP picture")
        }
        let audio = try await load(audioURL, what: "audio_url")
        guard let audioExtension = MediaKind.audioExtension(of: audio) else {
            throw VideoError.badInput("audio_url must be WAV, MP3 or Ogg audio")
        }
        // ffmpeg uses every core: a few videos at a time, the others wait their turn.
        let video = try await runs.withPermit {
            try await render(image: image, imageExtension: imageExtension, audio: audio, audioExtension: audioExtension)
        }
        let digest = SHA256.hash(data: image + audio).prefix(8).hexString
        return TalkingHeadVideo(data: video, contentType: "video/mp4", taskID: "offline-\(digest)")
    }

    /// The three ffmpeg runs in a folder of their own, removed afterwards.
    private func render(image: Data, imageExtension: String, audio: Data, audioExtension: String) async throws -> Data {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vividcrowd-video-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try image.write(to: folder.appendingPathComponent("portrait.\(imageExtension)"))
        try audio.write(to: folder.appendingPathComponent("speech.\(audioExtension)"))
        // The portrait is fitted into a still first: a damaged picture fails here at once, where looping it would
        // make ffmpeg wait for frames until the timeout.
        _ = try await run(
            stillArguments(image: "portrait.\(imageExtension)", output: "still.png"), in: folder,
            timeout: min(timeout, .seconds(30)), expecting: "still.png")
        // The speech becomes a bounded 16 kHz WAV whose length is known: speech of no length would leave
        // the looped still waiting forever.
        let speech = try await run(
            speechArguments(audio: "speech.\(audioExtension)", output: "speech-16k.wav"), in: folder,
            timeout: min(timeout, .seconds(30)), expecting: "speech-16k.wav")
        guard let clip = try? WAVCodec.decode(speech), clip.duration >= 0.1 else {
            throw VideoError.badInput("the speech is empty (shorter than 0.1 s)")
        }
        return try await run(
            videoArguments(still: "still.png", audio: "speech-16k.wav", output: "video.mp4"), in: folder,
            timeout: timeout, expecting: "video.mp4")
    }

    /// One ffmpeg run that must leave `expecting` behind; its diagnostics go to the error, for the log.
    private func run(_ arguments: [String], in folder: URL, timeout: Duration, expecting output: String) async throws -> Data {
        guard let ffmpeg else { throw missingProgram }
        let outcome: ExternalProgram.Outcome
        do {
            outcome = try await ffmpeg.run(arguments, in: folder, timeout: timeout, clock: clock)
        } catch is TimeoutError {
            throw VideoError.timedOut(provider: name, seconds: timeout.seconds)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw VideoError.failed(provider: name, reason: "ffmpeg could not start")
        }
        guard outcome.succeeded, let data = try? Data(contentsOf: folder.appendingPathComponent(output)), !data.isEmpty else {
            // The inputs passed their signatures, so a refusal here means their contents are damaged.
            throw VideoError.unreadableInput("the portrait or the speech could not be decoded", diagnostics: outcome.diagnostics)
        }
        return data
    }

    /// The portrait fitted and centred on a black square.
    func stillArguments(image: String, output: String) -> [String] {
        let side = Self.width
        return [
            "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", image, "-frames:v", "1",
            "-vf", "scale=\(side):\(side):force_original_aspect_ratio=decrease,pad=\(side):\(side):(ow-iw)/2:(oh-ih)/2,setsar=1",
            output,
        ]
    }

    /// The speech as mono 16 kHz PCM, cut at the longest video made.
    func speechArguments(audio: String, output: String) -> [String] {
        [
            "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", audio, "-vn",
            "-t", String(format: "%.3f", maximumSeconds), "-ac", "1", "-ar", "16000", "-c:a", "pcm_s16le", output,
        ]
    }

    /// The still looped at 25 frames a second with the speech's waveform drawn under it; H.264 (still-image tuned)
    /// and AAC, the index first so browsers start playing at once.
    func videoArguments(still: String, audio: String, output: String) -> [String] {
        let graph = [
            "[0:v]format=yuv420p[portrait]",
            "[1:a]showwaves=s=\(Self.width)x\(Self.waveformHeight):mode=cline:colors=white:rate=\(Self.framesPerSecond),format=yuv420p[waves]",
            "[portrait][waves]vstack=shortest=1,fps=\(Self.framesPerSecond)[video]",
        ].joined(separator: ";")
        return [
            "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
            "-loop", "1", "-framerate", String(Self.framesPerSecond), "-i", still,
            "-i", audio,
            "-filter_complex", graph, "-map", "[video]", "-map", "1:a",
            "-c:v", "libx264", "-preset", "veryfast", "-tune", "stillimage", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-b:a", "96k", "-shortest", "-movflags", "+faststart",
            output,
        ]
    }

    /// A file of the media store, named by its link (`/api/media/{id}`, or an absolute URL with that path). Other
    /// links are refused: fetching what a user names from here would let anyone reach this server's network.
    private func load(_ link: String, what: String) async throws -> Data {
        guard let id = MediaStore.id(inLink: link) else { throw Self.notHeld(what) }
        guard let file = await media.read(id) else { throw Self.gone(what) }
        return file.data
    }

    /// The refusal of a link to anything but a file this server holds.
    public static func notHeld(_ what: String) -> VideoError {
        .badInput(
            "\(what) must be a file this server holds (/api/media/…): upload the portrait to /api/celebrity/digital-human/upload-image, and send text instead of audio_url")
    }

    /// The refusal of a link to a file this server no longer holds.
    public static func gone(_ what: String) -> VideoError {
        .badInput("\(what) names no file this server holds (it may have been removed)")
    }
}
