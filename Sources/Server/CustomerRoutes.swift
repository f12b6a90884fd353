import Foundation
import Hummingbird
import Logging
import VividCrowdCore
import VividCrowdWire

/// REST endpoints of sales training's simulated customers, at the original's paths under /api/digital-customer.
enum CustomerRoutes {
    static func add(to router: Router<AppRequestContext>, services: ServerServices) {
        let library = services.customers
        let protection = services.protection
        let group = router.group("/api/digital-customer")

        group.get { _, _ -> Response in
            try .json(encoding: try await library.customers().map(CustomerSummary.init))
        }
        group.get("/{id}") { _, context -> Response in
            let customerID = try id(context)
            return try await respond(context.logger) { try .json(encoding: CustomerSummary(try await library.customer(id: customerID))) }
        }
        group.post("/upload") { request, context -> Response in
            let body: ByteBuffer
            switch await DocumentUploads.body(request, context: context, services: services) {
            case .body(let collected): body = collected
            case .refused(let refusal): return refusal
            }
            let form: CustomerUploadForm
            do {
                form = try CustomerUploadForm.read(Data(buffer: body), contentType: request.headers[.contentType])
            } catch let error as CustomerUploadForm.Invalid {
                return .error(.unprocessableContent, error.description)
            } catch {
                return .error(.badRequest, String(describing: error))
            }
            return try await respond(context.logger) {
                let (customer, created) = try await library.create(form.data, fileName: form.fileName, difficulty: form.difficulty)
                var summary = CustomerSummary(customer)
                summary.created = created
                return try .json(encoding: summary)
            }
        }
        group.delete("/{id}") { request, context -> Response in
            let customerID = try id(context)
            if let refusal = await protection.admit(request, client: context.clientKey) { return refusal }
            return try await respond(context.logger) {
                try await library.delete(id: customerID)
                return .json(["deleted": .number(Double(customerID))])
            }
        }
    }

    static func id(_ context: AppRequestContext) throws -> Int { try DocumentUploads.id(context, of: "customer") }

    /// Maps the mode's errors: unknown customer 404, bad documents 422 (413 when too large), a failed model call 502.
    static func respond(_ logger: Logger, _ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let error as CustomerError {
            switch error {
            case .notFound: return .error(.notFound, error.description)
            case .profileFailed: return .error(.badGateway, error.description)
            case .noCustomers: return .error(.notFound, error.description)
            }
        } catch {
            return try DocumentUploads.refusal(error, making: "customer", logger: logger)
        }
    }
}

/// The fields of `POST /api/digital-customer/upload`: `file` (.md, .txt or .pdf) and an optional `difficulty`.
struct CustomerUploadForm {
    struct Invalid: Error, CustomStringConvertible { var description: String }

    var data: Data
    var fileName: String
    var difficulty: CustomerProfile.Difficulty?

    static func read(_ body: Data, contentType: String?) throws -> CustomerUploadForm {
        let boundary = try MultipartForm.boundary(contentType: contentType)
        let parts = try MultipartForm.parts(body, boundary: boundary)
        guard let file = parts.first(where: { $0.name == "file" }) else {
            throw Invalid(description: "the upload has no field named \"file\"")
        }
        var difficulty: CustomerProfile.Difficulty?
        if let part = parts.first(where: { $0.name == "difficulty" }) {
            let text = String(decoding: part.body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
            if !text.isEmpty {
                guard let parsed = CustomerProfile.Difficulty(rawValue: text) else {
                    throw Invalid(description: "difficulty must be easy, normal or hard")
                }
                difficulty = parsed
            }
        }
        return CustomerUploadForm(data: file.body, fileName: file.fileName ?? "profile.md", difficulty: difficulty)
    }
}

/// A customer as the API shows it.
struct CustomerSummary: Encodable {
    var customer: CustomerRecord
    /// On an upload: whether the customer is new or the same bytes were uploaded before.
    var created: Bool?

    init(_ customer: CustomerRecord) { self.customer = customer }

    enum CodingKeys: String, CodingKey {
        case id, name, profile, difficulty, created
        case fileName = "file_name"
        case createdAt = "created_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(customer.id, forKey: .id)
        try container.encode(customer.name, forKey: .name)
        try container.encode(customer.profile, forKey: .profile)
        try container.encode(customer.profile.difficulty, forKey: .difficulty)
        try container.encode(customer.fileName, forKey: .fileName)
        try container.encode(customer.createdAt, forKey: .createdAt)
        try container.encodeIfPresent(created, forKey: .created)
    }
}
