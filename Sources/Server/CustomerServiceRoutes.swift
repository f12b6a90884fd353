import Foundation
import Hummingbird
import VividCrowdCore
import VividCrowdWire
import Logging

/// REST endpoints of the customer-service mode, at the original's paths under /api/customer-service.
enum CustomerServiceRoutes {
    /// Largest upload accepted: the CSV limit plus room for the multipart envelope.
    static let maximumUploadBytes = KnowledgeBaseCSV.maximumFileBytes + 64 * 1024

    static func add(to router: Router<AppRequestContext>, services: ServerServices) {
        let desk = services.customerService
        let protection = services.protection
        let group = router.group("/api/customer-service")

        group.get("/stats") { _, _ -> Response in
            try .json(encoding: try await desk.stats())
        }
        group.get("/qa/count") { _, _ -> Response in
            .json(["count": .number(Double(try await desk.entryCount()))])
        }
        group.post("/qa/import") { request, context -> Response in
            if let refusal = await protection.admit(request, client: context.clientKey) { return refusal }
            if let wait = await protection.wait(.uploads, client: context.clientKey) {
                return ServerProtection.tooMany(wait, what: "uploads")
            }
            return await importUpload(request, desk: desk, logger: context.logger)
        }
        group.post("/session") { _, context -> Response in
            if let wait = await protection.wait(.sessions, client: context.clientKey) {
                return ServerProtection.tooMany(wait, what: "new sessions")
            }
            return try .json(encoding: try await desk.createSession())
        }
        group.get("/session/{id}/history") { _, context -> Response in
            let id = try context.parameters.require("id")
            return try await respond {
                let session = try await desk.session(id)
                let turns = try await desk.history(id)
                return try .json(encoding: SessionHistory(session: session, turns: turns))
            }
        }
        group.post("/session/{id}/rating") { request, context -> Response in
            if let wait = await protection.wait(.ratings, client: context.clientKey) {
                return ServerProtection.tooMany(wait, what: "ratings")
            }
            let id = try context.parameters.require("id")
            let body = try await request.body.collect(upTo: 16 * 1024)
            return try await respond {
                let (rating, comment) = try RatingRequest.read(body: Data(buffer: body), query: request.uri.queryParameters)
                return try .json(encoding: try await desk.rate(id, rating: rating, comment: comment))
            }
        }
        group.post("/session/{id}/handoff") { request, context -> Response in
            if let refusal = await protection.admit(request, client: context.clientKey) { return refusal }
            let id = try context.parameters.require("id")
            let body = try await request.body.collect(upTo: 16 * 1024)
            return try await respond {
                guard let json = try? JSONValue.parse(String(decoding: Data(buffer: body), as: UTF8.self)),
                    let state = json["state"]?.stringValue.flatMap(HandoffState.init(rawValue:))
                else { return .error(.unprocessableContent, "expected {\"state\": \"open\" | \"closed\"}") }
                return try .json(encoding: try await desk.moveHandoff(id, to: state))
            }
        }
    }

    /// Maps the mode's own errors to 404 / 422 / 409.
    static func respond(_ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let error as CustomerServiceError {
            switch error {
            case .unknownSession: return .error(.notFound, error.description)
            case .invalidHandoffTransition: return .error(.conflict, error.description)
            case .invalidRating: return .error(.unprocessableContent, error.description)
            }
        } catch let error as RatingRequest.Invalid {
            return .error(.unprocessableContent, error.description)
        }
    }

    private static func importUpload(_ request: Request, desk: CustomerServiceDesk, logger: Logger) async -> Response {
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maximumUploadBytes)
        } catch {
            return .error(.contentTooLarge, "the upload is larger than \(maximumUploadBytes) bytes")
        }
        let part: MultipartPart
        do {
            let boundary = try MultipartForm.boundary(contentType: request.headers[.contentType])
            let parts = try MultipartForm.parts(Data(buffer: body), boundary: boundary)
            guard let file = parts.first(where: { $0.name == "file" }) else {
                return .error(.unprocessableContent, "the upload has no field named \"file\"")
            }
            part = file
        } catch {
            return .error(.badRequest, String(describing: error))
        }
        do {
            let outcome = try await desk.importKnowledgeBase(part.body, fileName: part.fileName ?? "upload.csv")
            return try .json(encoding: outcome)
        } catch let error as KnowledgeBaseImportError {
            return .error(.unprocessableContent, "\(part.fileName ?? "upload.csv"): \(error.description); nothing was imported")
        } catch let failure as any ConversationFailure {
            // An LLM or retrieval failure: its user-facing sentence, never the raw upstream text or a path.
            return .error(.badGateway, "import failed, nothing was imported: \(failure.userMessage)")
        } catch {
            logger.error("knowledge-base import failed", metadata: ["error": "\(error)"])
            return .error(.internalServerError, "import failed, nothing was imported; the server log has the details")
        }
    }
}

/// A session with its turns, as `GET …/session/{id}/history` returns it.
struct SessionHistory: Encodable {
    var session: SessionRecord
    var turns: [TurnLog]

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(session.id, forKey: .sessionID)
        try container.encode(session, forKey: .session)
        try container.encode(turns, forKey: .history)
        try container.encode(turns.count, forKey: .messageCount)
    }

    enum CodingKeys: String, CodingKey {
        case sessionID = "session_id"
        case session, history
        case messageCount = "message_count"
    }
}

/// A rating, from a JSON body `{"rating": 4, "comment": "…"}` or from query parameters `?rating=4`.
enum RatingRequest {
    struct Invalid: Error, CustomStringConvertible { var description: String }

    static func read(body: Data, query: Parameters) throws -> (Int, String?) {
        // A query rating must be a whole number even when a body is sent too.
        let queried = try query.getAll("rating").map { text -> Int in
            guard let rating = Int(text), (1...5).contains(rating) else {
                throw Invalid(description: "rating \"\(text.prefix(20))\" is not a whole number from 1 to 5")
            }
            return rating
        }
        // A body, when there is one, is the request: the JSON object with its rating.
        let blank = body.allSatisfy { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
        guard blank else {
            guard let json = try? JSONValue.parse(body), json.objectValue != nil else {
                throw Invalid(description: "the body must be a JSON object {\"rating\": 1-5, \"comment\": \"optional\"}")
            }
            // Int(exactly:) and not Int(_:): a number such as 1e300 has no Int and must be refused, not trap.
            guard let rating = json["rating"]?.intValue else {
                throw Invalid(description: "rating must be a whole number from 1 to 5")
            }
            if let comment = json["comment"], comment != .null, comment.stringValue == nil {
                throw Invalid(description: "comment must be a string")
            }
            return (rating, json["comment"]?.stringValue)
        }
        guard let rating = queried.first else {
            throw Invalid(description: "expected a JSON body {\"rating\": 1-5, \"comment\": \"optional\"} or ?rating=N")
        }
        return (rating, query["comment"].map(String.init))
    }
}
