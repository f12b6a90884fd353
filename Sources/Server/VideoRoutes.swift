import Foundation
import Hummingbird
import Logging
import VividCrowdCore

/// Talking-head video for the twins:
/// - `GET /api/celebrity/digital-human/video`: which provider `VIDEO_PROVIDER` chose and whether it can work (the
///   page shows its video panel only then);
/// - `POST /api/celebrity/digital-human/upload-image`: a portrait (PNG, JPEG or WebP) kept in the media store (a
///   protected write, like a twin's document);
/// - `POST /api/celebrity/digital-human/generate-video`: a portrait and a speech recording (or a text spoken here)
///   become a video kept in the media store and served at `/api/media/{id}`.
///
/// The offline provider works on files this server holds. The cloud providers (Volcano Engine, DashScope) fetch their
/// inputs themselves, so files held here are handed to them as links to their copy in the bucket (`OSS_*`) or under
/// `PUBLIC_BASE_URL`.
enum VideoRoutes {
    /// The largest portrait kept.
    static let maximumImageBytes = 10 * 1024 * 1024

    static func add(to router: Router<AppRequestContext>, services: ServerServices) {
        router.get("/api/celebrity/digital-human/video") { _, _ -> Response in
            guard let video = services.video else {
                return .json([
                    "provider": .null, "ready": .bool(false), "detail": .string("video is off (VIDEO_PROVIDER=off)"),
                ])
            }
            let reason = video.unavailableReason
            return .json([
                "provider": .string(video.name), "ready": .bool(reason == nil),
                "detail": reason.map { .string($0.description) } ?? .null, "fetches_inputs": .bool(video.fetchesInputs),
            ])
        }
        router.post("/api/celebrity/digital-human/upload-image") { request, context -> Response in
            // A stored upload, like a twin's document: the admin token when one is set, and the uploads budget.
            if let refusal = await services.protection.admit(request, client: context.clientKey) { return refusal }
            if let wait = await services.protection.wait(.uploads, client: context.clientKey) {
                return ServerProtection.tooMany(wait, what: "uploads")
            }
            let body: ByteBuffer
            do {
                body = try await request.body.collect(upTo: maximumImageBytes + 64 * 1024)
            } catch {
                return .error(.contentTooLarge, "the portrait is larger than \(maximumImageBytes / 1024 / 1024) MB")
            }
            let image: Data
            do {
                image = try PortraitUpload.read(Data(buffer: body), contentType: request.headers[.contentType])
            } catch let error as PortraitUpload.Invalid {
                return .error(error.tooLarge ? .contentTooLarge : .unprocessableContent, error.description)
            }
            guard let kind = MediaKind.imageExtension(of: image) else {
                return .error(.unprocessableContent, "the portrait must be a PNG, JPEG or WebP picture")
            }
            do {
                let id = try await services.speech.media.store(image, fileExtension: kind)
                return .json([
                    "image_url": .string(MediaStore.urlPath(for: id)),
                    "content_type": .string(MediaStore.contentTypes[kind] ?? "application/octet-stream"),
                ])
            } catch MediaStoreError.mirrorFailed {
                return .error(.serviceUnavailable, MediaStoreError.mirrorFailed.description)
            } catch {
                context.logger.error("portrait upload failed", metadata: ["error": "\(error)"])
                return .error(.internalServerError, "the portrait could not be kept; the server log has the details")
            }
        }
        router.post("/api/celebrity/digital-human/generate-video") { request, context -> Response in
            if let wait = await services.protection.wait(.messages, client: context.clientKey) {
                return ServerProtection.tooMany(wait, what: "video requests")
            }
            let body: ByteBuffer
            do {
                body = try await request.body.collect(upTo: 64 * 1024)
            } catch {
                return .error(.contentTooLarge, "the request is larger than 64 KB; send two URLs")
            }
            let asked: VideoRequest
            do {
                asked = try VideoRequest.read(Data(buffer: body))
            } catch let error as VideoRequest.Invalid {
                return .error(.unprocessableContent, error.description)
            }
            guard let video = services.video else {
                return .error(.serviceUnavailable, "video is off: set VIDEO_PROVIDER to offline, volcengine or dashscope")
            }
            if let reason = video.unavailableReason { return .error(.serviceUnavailable, reason.description) }
            let media = services.speech.media
            do {
                // The portrait is checked before any speech is made, so a bad request costs no synthesis.
                let image = try await inputLink(asked.imageURL, what: "image_url", for: video, services: services)
                let audio: String
                if let text = asked.text {
                    if video.fetchesInputs, services.settings.server.publicBaseURL == nil, media.mirror == nil {
                        return .error(
                            .unprocessableContent,
                            "the video service must fetch the speech: set the OSS_* settings or PUBLIC_BASE_URL (this server's public address) to speak a text here, or send audio_url")
                    }
                    let (id, _) = try await services.speech.synthesize(text, language: asked.language, voice: asked.voice)
                    audio = try await inputLink(MediaStore.urlPath(for: id), what: "audio_url", for: video, services: services)
                } else {
                    audio = try await inputLink(asked.audioURL ?? "", what: "audio_url", for: video, services: services)
                }
                let made = try await video.generate(imageURL: image, audioURL: audio)
                let id = try await media.store(made.data, fileExtension: "mp4")
                return .json([
                    "video_url": .string(MediaStore.urlPath(for: id)), "content_type": .string("video/mp4"),
                    "task_id": .string(made.taskID), "provider": .string(video.name),
                ])
            } catch MediaStoreError.mirrorFailed {
                return .error(.serviceUnavailable, MediaStoreError.mirrorFailed.description)
            } catch let error as SpeechError {
                if case .notConfigured = error { return .error(.serviceUnavailable, error.description) }
                return .error(.unprocessableContent, error.description)
            } catch let error as VideoError {
                switch error {
                case .notConfigured: return .error(.serviceUnavailable, error.description)
                case .badInput: return .error(.unprocessableContent, error.description)
                case .unreadableInput(_, let diagnostics):
                    context.logger.notice("video inputs unreadable", metadata: ["diagnostics": "\(diagnostics)"])
                    return .error(.unprocessableContent, error.description)
                case .failed:
                    context.logger.error("video generation failed", metadata: ["error": "\(error)"])
                    return .error(.badGateway, error.description)
                case .timedOut: return .error(.gatewayTimeout, error.description)
                }
            } catch {
                context.logger.error("video request failed", metadata: ["error": "\(error)"])
                return .error(.internalServerError, "the request failed; the server log has the details")
            }
        }
    }

    /// `link` as `video` can use it. A provider that works here gets files this server holds, and they must
    /// exist. A provider that fetches gets http(s) links; a file held here becomes the link to its copy in the
    /// bucket or under `PUBLIC_BASE_URL`, or the request is refused naming those settings.
    static func inputLink(
        _ link: String, what: String, for video: any TalkingHeadGenerator, services: ServerServices
    ) async throws -> String {
        let media = services.speech.media
        let heldID = MediaStore.id(inLink: link)
        if !video.fetchesInputs {
            guard let heldID else { throw FFmpegTalkingHead.notHeld(what) }
            guard await media.holds(heldID) else { throw FFmpegTalkingHead.gone(what) }
            return link
        }
        guard let heldID, URL(string: link)?.scheme == nil else { return link }
        guard await media.holds(heldID) else { throw FFmpegTalkingHead.gone(what) }
        if let copy = media.fetchableURL(for: heldID) { return copy.absoluteString }
        if let base = services.settings.server.publicBaseURL {
            return base.absoluteString.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + link
        }
        throw VideoError.badInput(
            "\(what) is a file on this server, which the video service cannot fetch: set the OSS_* settings or PUBLIC_BASE_URL, or send an http(s) URL")
    }
}

/// The body of `generate-video`: `image_url`, and either `audio_url` or `text` (with `voice` and `language`).
struct VideoRequest {
    struct Invalid: Error, CustomStringConvertible { var description: String }

    var imageURL: String
    var audioURL: String?
    var text: String?
    var voice: String?
    var language: String?

    static func read(_ body: Data) throws -> VideoRequest {
        guard let json = try? JSONValue.parse(body), let object = json.objectValue else {
            throw Invalid(description: #"send JSON: {"image_url": "...", "audio_url": "..."} or {"image_url": "...", "text": "..."}"#)
        }
        let known: Set<String> = ["image_url", "audio_url", "text", "voice", "language"]
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw Invalid(description: "unknown field \"\(unknown.prefix(40))\"; send image_url and audio_url (or text)")
        }
        guard let image = object["image_url"]?.stringValue, !image.isEmpty else {
            throw Invalid(description: "image_url is required, as a string")
        }
        var request = VideoRequest(imageURL: image)
        switch (object["audio_url"], object["text"]) {
        case (.string(let audio), nil):
            request.audioURL = audio
        case (nil, .string(let text)):
            guard object["voice"].map({ $0.stringValue != nil }) ?? true, object["language"].map({ $0.stringValue != nil }) ?? true else {
                throw Invalid(description: "voice and language are strings")
            }
            request.text = text
            request.voice = object["voice"]?.stringValue
            request.language = object["language"]?.stringValue
        default:
            throw Invalid(description: "send either audio_url or text, as a string")
        }
        return request
    }
}

/// A portrait upload: a multipart field `file` (or `image`), or the picture as the raw body.
enum PortraitUpload {
    struct Invalid: Error, CustomStringConvertible {
        var description: String
        var tooLarge = false
    }

    static func read(_ body: Data, contentType: String?) throws -> Data {
        let image: Data
        do {
            image = try UploadedFile.read(body, contentType: contentType, names: ["file", "image"], what: "the portrait").data
        } catch let error as UploadedFile.Invalid {
            throw Invalid(description: error.description)
        }
        if image.isEmpty { throw Invalid(description: "the portrait is empty") }
        if image.count > VideoRoutes.maximumImageBytes {
            throw Invalid(description: "the portrait is larger than \(VideoRoutes.maximumImageBytes / 1024 / 1024) MB", tooLarge: true)
        }
        return image
    }
}
