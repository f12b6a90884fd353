import Foundation
import Hummingbird
import Logging
import VividCrowdCore

/// `POST /api/celebrity/digital-human/generate-video`: a portrait and a speech recording, both at URLs the video
/// service can fetch, become a talking-head video kept in the media store and served at `/api/media/{id}`. With
/// the `OSS_*` settings or `PUBLIC_BASE_URL` set, a `text` can stand in for the recording: it is spoken here and
/// linked from the bucket (a signed link) or from this server.
enum VideoRoutes {
    static func add(to router: Router<AppRequestContext>, services: ServerServices) {
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
            guard let json = try? JSONValue.parse(Data(buffer: body)), let object = json.objectValue else {
                return .error(.unprocessableContent, #"send JSON: {"image_url": "https://...", "audio_url": "https://..."}"#)
            }
            let known: Set<String> = ["image_url", "audio_url", "text", "voice", "language"]
            if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
                return .error(.unprocessableContent, "unknown field \"\(unknown.prefix(40))\"; send image_url and audio_url (or text)")
            }
            guard let image = object["image_url"]?.stringValue else {
                return .error(.unprocessableContent, "image_url is required, as a string")
            }
            let spoken: (text: String, voice: String?, language: String?)?
            switch (object["audio_url"], object["text"]) {
            case (.string, nil):
                spoken = nil
            case (nil, .string(let text)):
                guard services.settings.server.publicBaseURL != nil || services.speech.media.mirror != nil else {
                    return .error(
                        .unprocessableContent,
                        "the video service must fetch the speech: set the OSS_* settings or PUBLIC_BASE_URL (this server's public address) to speak a text here, or send audio_url")
                }
                guard object["voice"].map({ $0.stringValue != nil }) ?? true, object["language"].map({ $0.stringValue != nil }) ?? true else {
                    return .error(.unprocessableContent, "voice and language are strings")
                }
                spoken = (text, object["voice"]?.stringValue, object["language"]?.stringValue)
            default:
                return .error(.unprocessableContent, "send either audio_url or text, as a string")
            }
            do {
                var audio = object["audio_url"]?.stringValue ?? ""
                if let spoken {
                    let (id, _) = try await services.speech.synthesize(spoken.text, language: spoken.language, voice: spoken.voice)
                    if let copy = services.speech.media.fetchableURL(for: id) {
                        audio = copy.absoluteString
                    } else if let base = services.settings.server.publicBaseURL {
                        audio = base.absoluteString.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + MediaStore.urlPath(for: id)
                    }
                }
                let video = try await services.video.generate(imageURL: image, audioURL: audio)
                let id = try await services.speech.media.store(video.data, fileExtension: "mp4")
                return .json([
                    "video_url": .string(MediaStore.urlPath(for: id)), "content_type": .string("video/mp4"),
                    "task_id": .string(video.taskID), "provider": .string(services.video.name),
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
}
