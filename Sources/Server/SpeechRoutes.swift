import Foundation
import Hummingbird
import Logging
import VividCrowdCore
import VividCrowdWire

/// Speech in and out at the original's paths: transcription for twins and training, synthesis for training, and
/// `GET /api/media/{id}` serving what the media store holds (and nothing else).
enum SpeechRoutes {
    static let transcribePaths = ["/api/digital-customer/audio/transcribe", "/api/celebrity/digital-human/transcribe-audio"]

    static func add(to router: Router<AppRequestContext>, services: ServerServices) {
        let speech = services.speech
        for path in transcribePaths {
            router.post(RouterPath(path)) { request, context -> Response in
                if let refusal = await limit(request, context: context, services: services) { return refusal }
                let body: ByteBuffer
                do {
                    body = try await request.body.collect(upTo: speech.limits.maximumBytes + 64 * 1024)
                } catch {
                    return .error(.contentTooLarge, SpeechError.tooLarge(bytes: speech.limits.maximumBytes + 1, limit: speech.limits.maximumBytes).description)
                }
                let upload: TranscribeRequest
                do {
                    upload = try TranscribeRequest.read(
                        Data(buffer: body), contentType: request.headers[.contentType], query: request.uri.queryParameters.get("language"))
                } catch let error as TranscribeRequest.Invalid {
                    return .error(.unprocessableContent, error.description)
                }
                return await answer(context.logger) {
                    try .json(encoding: try await speech.transcribe(upload.audio, language: upload.language))
                }
            }
        }
        router.post("/api/digital-customer/audio/synthesize") { request, context -> Response in
            if let refusal = await limit(request, context: context, services: services) { return refusal }
            let body: ByteBuffer
            do {
                body = try await request.body.collect(upTo: 1024 * 1024)
            } catch {
                return .error(.contentTooLarge, "the request is larger than 1 MB; send at most SPEECH_MAX_TEXT characters of text")
            }
            let asked: SynthesizeRequest
            do {
                asked = try SynthesizeRequest.read(Data(buffer: body))
            } catch let error as SynthesizeRequest.Invalid {
                return .error(.unprocessableContent, error.description)
            }
            let wantsAudio = request.headers[.accept]?.lowercased().hasPrefix("audio/") == true
            return await answer(context.logger) {
                let (id, audio) = try await speech.synthesize(asked.text, language: asked.language, voice: asked.voice)
                if wantsAudio {
                    return Response(
                        status: .ok, headers: [.contentType: audio.contentType],
                        body: .init(byteBuffer: ByteBuffer(data: audio.data)))
                }
                return .json([
                    "audio_url": .string(MediaStore.urlPath(for: id)), "content_type": .string(audio.contentType),
                    "duration_seconds": .number((audio.durationSeconds * 100).rounded() / 100),
                    "provider": .string(speech.synthesizer?.name ?? ""),
                ])
            }
        }
        router.get("/api/media/{id}") { _, context -> Response in
            guard let id = context.parameters.get("id"), let media = await speech.media.read(id) else {
                return .error(.notFound, "no such media")
            }
            return Response(
                status: .ok,
                headers: [
                    .contentType: media.contentType, .cacheControl: "private, max-age=86400",
                    // Uploaded portraits are served from this origin: never let a browser read them as anything else.
                    .init("X-Content-Type-Options")!: "nosniff",
                ],
                body: .init(byteBuffer: ByteBuffer(data: media.data)))
        }
    }

    /// The per-client message budget: speech stands in for a typed message.
    private static func limit(_ request: Request, context: AppRequestContext, services: ServerServices) async -> Response? {
        if let wait = await services.protection.wait(.messages, client: context.clientKey) {
            return ServerProtection.tooMany(wait, what: "speech requests")
        }
        return nil
    }

    /// A speech refusal with its status: 413 too large, 503 not configured, an engine down or object storage failing,
    /// 422 the rest; anything else 500 with the details in the log only.
    private static func answer(_ logger: Logger, _ work: () async throws -> Response) async -> Response {
        do {
            return try await work()
        } catch let error as SpeechError {
            switch error {
            case .tooLarge: return .error(.contentTooLarge, error.description)
            case .notConfigured, .engineFailed:
                if case .engineFailed = error { logger.error("speech engine failed", metadata: ["error": "\(error)"]) }
                return .error(.serviceUnavailable, error.description)
            default: return .error(.unprocessableContent, error.description)
            }
        } catch MediaStoreError.mirrorFailed {
            return .error(.serviceUnavailable, MediaStoreError.mirrorFailed.description)
        } catch {
            logger.error("speech request failed", metadata: ["error": "\(error)"])
            return .error(.internalServerError, "the request failed; the server log has the details")
        }
    }
}

/// The audio of a transcription request: a multipart field `file` (or `audio`) with an optional `language` field,
/// or the raw audio as the body; `?language=` works for both.
struct TranscribeRequest {
    struct Invalid: Error, CustomStringConvertible { var description: String }

    var audio: AudioUpload
    var language: String?

    static func read(_ body: Data, contentType: String?, query: String?) throws -> TranscribeRequest {
        let upload: UploadedFile
        do {
            upload = try UploadedFile.read(body, contentType: contentType, names: ["file", "audio"], what: "the audio")
        } catch let error as UploadedFile.Invalid {
            throw Invalid(description: error.description)
        }
        let audio = upload.isForm
            ? AudioUpload(data: upload.data, contentType: nil, fileName: upload.fileName) : AudioUpload(data: body, contentType: contentType)
        var languageTag = query
        if let field = upload.fields["language"] {
            languageTag = String(decoding: field, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        var language: String?
        if let languageTag, !languageTag.isEmpty {
            guard let code = speechLanguageCode(languageTag) else {
                throw Invalid(description: "language must be en or zh")
            }
            language = code
        }
        return TranscribeRequest(audio: audio, language: language)
    }
}

/// `{"text": "...", "language": "en|zh"?, "voice": "..."?}`.
struct SynthesizeRequest {
    struct Invalid: Error, CustomStringConvertible { var description: String }

    var text: String
    var language: String?
    var voice: String?

    static func read(_ body: Data) throws -> SynthesizeRequest {
        guard let object = try? JSONValue.parse(body).objectValue else {
            throw Invalid(description: "expected a JSON object {\"text\": \"...\"}")
        }
        let unknown = Set(object.keys).subtracting(["text", "language", "voice"])
        guard unknown.isEmpty else { throw Invalid(description: "unknown field(s) \(unknown.sorted().joined(separator: ", "))") }
        guard let text = object["text"]?.stringValue else { throw Invalid(description: "\"text\" must be a string") }
        var language: String?
        if let tag = object["language"], tag != .null {
            guard let code = speechLanguageCode(tag.stringValue) else { throw Invalid(description: "language must be en or zh") }
            language = code
        }
        var voice: String?
        if let value = object["voice"], value != .null {
            guard let name = value.stringValue, !name.isEmpty, name.count <= 64 else {
                throw Invalid(description: "voice must be a voice name of at most 64 characters")
            }
            voice = name
        }
        return SynthesizeRequest(text: text, language: language, voice: voice)
    }
}
