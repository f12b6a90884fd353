import Foundation
import Hummingbird
import VividCrowdCore

/// Assembles the HTTP routes.
enum Routes {
    static func build(_ services: ServerServices) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/health") { _, _ -> Response in
            let health: JSONValue = [
                "status": "ok",
                "llm_mode": .string(services.settings.llm.mode.rawValue),
                "schema_version": .number(Double(try await services.database.schemaVersion)),
            ]
            return .json(health)
        }
        return router
    }
}

extension Response {
    /// A JSON response from a `JSONValue`.
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: value.canonicalString)))
    }
}
