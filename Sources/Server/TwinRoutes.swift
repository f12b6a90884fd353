import Foundation
import Hummingbird
import Logging
import VividCrowdCore
import VividCrowdWire

/// REST endpoints of the digital twins, at the original's paths under /api/celebrity.
enum TwinRoutes {
    static func add(to router: Router<AppRequestContext>, services: ServerServices) {
        let library = services.twins
        let protection = services.protection
        let group = router.group("/api/celebrity")

        group.get { _, _ -> Response in
            try .json(encoding: try await library.twins().map(TwinSummary.init))
        }
        group.get("/{id}") { _, context -> Response in
            let twinID = try id(context)
            return try await respond(context.logger) { try .json(encoding: TwinSummary(try await library.twin(id: twinID))) }
        }
        group.post("/upload") { request, context -> Response in
            let body: ByteBuffer
            switch await DocumentUploads.body(request, context: context, services: services) {
            case .body(let collected): body = collected
            case .refused(let refusal): return refusal
            }
            let upload: TwinUpload
            do {
                upload = try TwinUploadForm.read(Data(buffer: body), contentType: request.headers[.contentType])
            } catch let error as TwinUploadForm.Invalid {
                return .error(.unprocessableContent, error.description)
            } catch {
                return .error(.badRequest, String(describing: error))
            }
            return try await respond(context.logger) {
                let (twin, created) = try await library.create(upload)
                return try .json(encoding: UploadOutcome(twin: TwinSummary(twin), created: created))
            }
        }
        group.patch("/{id}") { request, context -> Response in
            let twinID = try id(context)
            if let refusal = await protection.admit(request, client: context.clientKey) { return refusal }
            let body = try await request.body.collect(upTo: 256 * 1024)
            return try await respond(context.logger) {
                let edit: TwinEdit
                do {
                    edit = try JSONDecoder().decode(TwinEdit.self, from: Data(buffer: body))
                } catch {
                    return .error(.unprocessableContent, "expected {\"name\"?, \"profile\"?, \"system_prompt\"?} (\(TwinEdit.reason(error)))")
                }
                guard edit.name != nil || edit.profile != nil || edit.systemPrompt != nil else {
                    return .error(.unprocessableContent, "nothing to change: give name, profile or system_prompt")
                }
                if let prompt = edit.systemPrompt, prompt.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty || prompt.count > 20_000 {
                    return .error(.unprocessableContent, "system_prompt must be 1 to 20,000 characters")
                }
                let twin = try await library.update(id: twinID, name: edit.name, profile: edit.profile, systemPrompt: edit.systemPrompt)
                return try .json(encoding: TwinSummary(twin))
            }
        }
        group.delete("/{id}") { request, context -> Response in
            let twinID = try id(context)
            if let refusal = await protection.admit(request, client: context.clientKey) { return refusal }
            return try await respond(context.logger) {
                try await library.delete(id: twinID)
                return .json(["deleted": .number(Double(twinID))])
            }
        }
    }

    static func id(_ context: AppRequestContext) throws -> Int { try DocumentUploads.id(context, of: "twin") }

    /// Maps the mode's errors: unknown twin 404, bad documents and edits 422, a failed model call 502.
    static func respond(_ logger: Logger, _ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let error as TwinError {
            switch error {
            case .notFound: return .error(.notFound, error.description)
            case .invalidName, .invalidProfile: return .error(.unprocessableContent, error.description)
            case .profileFailed: return .error(.badGateway, error.description)
            }
        } catch {
            return try DocumentUploads.refusal(error, making: "twin", logger: logger)
        }
    }
}

/// The fields of `POST /api/celebrity/upload`: `file`, `source_type` (person, book or topic) and an optional `name`.
enum TwinUploadForm {
    struct Invalid: Error, CustomStringConvertible { var description: String }

    static func read(_ body: Data, contentType: String?) throws -> TwinUpload {
        let boundary = try MultipartForm.boundary(contentType: contentType)
        let parts = try MultipartForm.parts(body, boundary: boundary)
        guard let file = parts.first(where: { $0.name == "file" }) else {
            throw Invalid(description: "the upload has no field named \"file\"")
        }
        func text(_ name: String) throws -> String? {
            guard let part = parts.first(where: { $0.name == name }) else { return nil }
            guard let value = String(data: part.body, encoding: .utf8) else { throw Invalid(description: "\"\(name)\" is not UTF-8 text") }
            return value.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let typeName = try text("source_type") ?? "person"
        guard let type = TwinSourceType(rawValue: typeName.lowercased()) else {
            throw Invalid(description: "source_type must be person, book or topic")
        }
        let name = try text("name").flatMap { $0.isEmpty ? nil : $0 }
        if let name, name.count > 200 { throw Invalid(description: "name must be at most 200 characters") }
        return TwinUpload(data: file.body, fileName: file.fileName ?? "upload.pdf", sourceType: type, name: name)
    }
}

/// A twin as the API shows it.
struct TwinSummary: Encodable {
    var twin: TwinRecord

    init(_ twin: TwinRecord) { self.twin = twin }

    enum CodingKeys: String, CodingKey {
        case id, name, profile, pages, characters, language, format
        case sourceType = "source_type"
        case systemPrompt = "system_prompt"
        case fileName = "file_name"
        case chunkCount = "chunk_count"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(twin.id, forKey: .id)
        try container.encode(twin.name, forKey: .name)
        try container.encode(twin.sourceType, forKey: .sourceType)
        try container.encode(twin.profile, forKey: .profile)
        try container.encode(twin.systemPrompt, forKey: .systemPrompt)
        try container.encode(twin.fileName, forKey: .fileName)
        try container.encode(twin.format, forKey: .format)
        try container.encode(twin.pages, forKey: .pages)
        try container.encode(twin.characters, forKey: .characters)
        try container.encode(twin.chunkCount, forKey: .chunkCount)
        try container.encode(twin.language, forKey: .language)
        try container.encode(twin.createdAt, forKey: .createdAt)
        try container.encode(twin.updatedAt, forKey: .updatedAt)
    }
}

/// The answer to an upload: the twin, and whether it is new or the same bytes were uploaded before.
struct UploadOutcome: Encodable {
    var twin: TwinSummary
    var created: Bool

    func encode(to encoder: any Encoder) throws {
        try twin.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(created, forKey: .created)
    }

    enum CodingKeys: String, CodingKey { case created }
}

/// `PATCH /api/celebrity/{id}`: any of a new name, profile and system prompt.
struct TwinEdit: Decodable {
    var name: String?
    var profile: TwinProfile?
    var systemPrompt: String?

    enum CodingKeys: String, CodingKey {
        case name, profile
        case systemPrompt = "system_prompt"
    }

    /// A decoding error as one short sentence, without Swift type names.
    static func reason(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "not JSON" }
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context), .dataCorrupted(let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? "not a JSON object" : "\(path) has the wrong type or is missing"
        @unknown default: return "not JSON of that shape"
        }
    }
}
