import Foundation
import Hummingbird
import Logging
import VividCrowdCore
import VividCrowdWire

/// The copilot's sales materials under /api/digital-customer/knowledge: upload (PDF or XLSX), list, query, delete.
enum SalesKnowledgeRoutes {
    static func add(to router: Router<AppRequestContext>, services: ServerServices) {
        let copilot = services.copilot
        let protection = services.protection
        let group = router.group("/api/digital-customer/knowledge")

        group.post("/upload") { request, context -> Response in
            let body: ByteBuffer
            switch await DocumentUploads.body(request, context: context, services: services) {
            case .body(let collected): body = collected
            case .refused(let refusal): return refusal
            }
            let file: MultipartPart
            do {
                let parts = try MultipartForm.parts(Data(buffer: body), boundary: try MultipartForm.boundary(contentType: request.headers[.contentType]))
                guard let found = parts.first(where: { $0.name == "file" }) else {
                    return .error(.unprocessableContent, "the upload has no field named \"file\"")
                }
                file = found
            } catch {
                return .error(.badRequest, String(describing: error))
            }
            return try await respond(context.logger) {
                let (material, created) = try await copilot.upload(file.body, fileName: file.fileName ?? "material.pdf")
                var summary = SalesMaterialSummary(material)
                summary.created = created
                return try .json(encoding: summary)
            }
        }
        group.get("/files") { _, context -> Response in
            try await respond(context.logger) { try .json(encoding: try await copilot.materials().map(SalesMaterialSummary.init)) }
        }
        group.post("/query") { request, context -> Response in
            let body = try await request.body.collect(upTo: 64 * 1024)
            let query: KnowledgeQuery
            do {
                query = try KnowledgeQuery.read(Data(buffer: body))
            } catch let error as KnowledgeQuery.Invalid {
                return .error(.unprocessableContent, error.description)
            }
            return try await respond(context.logger) {
                let hits = try await copilot.query(query.text, limit: query.limit)
                return try .json(encoding: KnowledgeQueryResult(query: query.text, results: hits))
            }
        }
        group.delete("/files/{id}") { request, context -> Response in
            let materialID = try DocumentUploads.id(context, of: "sales material")
            if let refusal = await protection.admit(request, client: context.clientKey) { return refusal }
            return try await respond(context.logger) {
                try await copilot.delete(id: materialID)
                return .json(["deleted": .number(Double(materialID))])
            }
        }
    }

    /// Maps the copilot's errors: unknown material 404, too large 413, unreadable materials 422, a failed embedding
    /// call 502, anything else 500 with the details in the log only.
    static func respond(_ logger: Logger, _ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let error as CopilotError {
            switch error {
            case .notFound: return .error(.notFound, error.description)
            case .tooLarge: return .error(.contentTooLarge, error.description)
            case .unsupportedFormat, .noUnits: return .error(.unprocessableContent, error.description)
            }
        } catch let error as SpreadsheetError {
            if case .tooLarge = error { return .error(.contentTooLarge, error.description + "; nothing was stored") }
            return .error(.unprocessableContent, error.description + "; nothing was stored")
        } catch {
            return try DocumentUploads.refusal(error, making: "sales material", logger: logger)
        }
    }
}

/// The body of `POST …/knowledge/query`: `{"query": "...", "top_k": 5}`.
struct KnowledgeQuery {
    struct Invalid: Error, CustomStringConvertible { var description: String }

    var text: String
    var limit: Int

    static let usage = "send {\"query\": \"...\", \"top_k\": 5}"

    static func read(_ body: Data) throws -> KnowledgeQuery {
        guard let object = (try? JSONValue.parse(body))?.objectValue else { throw Invalid(description: "the body is not a JSON object: \(usage)") }
        let unknown = object.keys.filter { !["query", "top_k"].contains($0) }.sorted()
        guard unknown.isEmpty else { throw Invalid(description: "unknown field(s) \(unknown.joined(separator: ", ")): \(usage)") }
        guard let raw = object["query"]?.stringValue else { throw Invalid(description: "query must be a string: \(usage)") }
        let text: String
        do {
            text = try MessageText.validate(raw)
        } catch {
            throw Invalid(description: "query must be 1 to \(MessageText.maximumCharacters) characters")
        }
        var limit = 5
        switch object["top_k"] {
        case nil: break
        case let value?:
            guard let number = value.doubleValue, number == number.rounded(), (1...20).contains(number) else {
                throw Invalid(description: "top_k must be an integer from 1 to 20")
            }
            limit = Int(number)
        }
        return KnowledgeQuery(text: text, limit: limit)
    }
}

/// What a query answers: the units, best first, each with its material and location.
struct KnowledgeQueryResult: Encodable {
    var query: String
    var results: [CopilotHit]
}

/// A sales material as the API lists it (without its units' text).
struct SalesMaterialSummary: Encodable {
    var material: SalesMaterial
    var created: Bool?

    init(_ material: SalesMaterial) { self.material = material }

    enum CodingKeys: String, CodingKey {
        case id, format, units, sheets, pages, created
        case fileName = "file_name"
        case createdAt = "created_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(material.id, forKey: .id)
        try container.encode(material.fileName, forKey: .fileName)
        try container.encode(material.format, forKey: .format)
        try container.encode(material.units.count, forKey: .units)
        var sheets: [String] = []
        for sheet in material.units.compactMap(\.sheet) where !sheets.contains(sheet) { sheets.append(sheet) }
        if material.format == .xlsx { try container.encode(sheets, forKey: .sheets) }
        if let last = material.units.compactMap(\.pages?.upperBound).max() { try container.encode(last, forKey: .pages) }
        try container.encode(material.createdAt, forKey: .createdAt)
        try container.encodeIfPresent(created, forKey: .created)
    }
}
