import Foundation
import Hummingbird
import Logging
import VividCrowdCore

/// What the document-upload endpoints (twins, customers) share: admission, the size limit, path ids and how a
/// refused document is answered.
enum DocumentUploads {
    /// An upload's body, or the response that refuses it.
    enum Collected {
        case body(ByteBuffer)
        case refused(Response)
    }

    /// The upload's body, or the response that refuses it: an unadmitted client, one uploading too often, or a body
    /// over the twins' upload limit.
    static func body(_ request: Request, context: AppRequestContext, services: ServerServices) async -> Collected {
        if let refusal = await services.protection.admit(request, client: context.clientKey) { return .refused(refusal) }
        if let wait = await services.protection.wait(.uploads, client: context.clientKey) {
            return .refused(ServerProtection.tooMany(wait, what: "uploads"))
        }
        let limit = services.settings.twins.limits.maximumBytes
        do {
            return .body(try await request.body.collect(upTo: limit + 64 * 1024))
        } catch {
            return .refused(Response.error(.contentTooLarge, "the upload is larger than \(limit) bytes; nothing was stored"))
        }
    }

    /// The positive integer id in the path; anything else is a path that does not exist (thrown, so the router's 404,
    /// or 405 for a path that exists under another method, answers it).
    static func id(_ context: AppRequestContext, of what: String) throws -> Int {
        guard let text = context.parameters.get("id"), text.count <= 10, let id = Int(text), id >= 1 else {
            throw HTTPError(.notFound, message: "\(what) ids are positive integers")
        }
        return id
    }

    /// Answers the errors every document upload shares: a refused document 422 (413 when too large), a failed model
    /// call 502, anything else 500 with the details in the log only.
    static func refusal(_ error: any Error, making what: String, logger: Logger) throws -> Response {
        switch error {
        case let error as HTTPError:
            throw error
        case let error as DocumentError:
            if case .tooLarge = error { return .error(.contentTooLarge, "\(error.description); nothing was stored") }
            return .error(.unprocessableContent, "\(error.description); nothing was stored")
        case let failure as any ConversationFailure:
            return .error(.badGateway, "the \(what) could not be made, nothing was stored: \(failure.userMessage)")
        default:
            logger.error("\(what) request failed", metadata: ["error": "\(error)"])
            return .error(.internalServerError, "the request failed, nothing was changed; the server log has the details")
        }
    }
}
