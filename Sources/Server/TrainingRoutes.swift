import Foundation
import Hummingbird
import Logging
import VividCrowdCore

/// REST endpoints of sales training's sessions, at the original's paths under /api/digital-customer/training.
enum TrainingRoutes {
    static func add(to router: Router<AppRequestContext>, services: ServerServices) {
        let desk = services.training
        let group = router.group("/api/digital-customer/training")

        group.post("/sessions/start") { request, context -> Response in
            let body = try await request.body.collect(upTo: 64 * 1024)
            let start: TrainingStartRequest
            do {
                start = try TrainingStartRequest.read(Data(buffer: body))
            } catch let error as TrainingStartRequest.Invalid {
                return .error(.unprocessableContent, error.description)
            }
            return try await respond(context.logger) {
                let record = try await desk.start(customerID: start.customerID, userID: start.userID, difficulty: start.difficulty)
                return try .json(encoding: TrainingSessionSummary(record), status: .created)
            }
        }
        group.get("/sessions") { request, context -> Response in
            let userID = request.uri.queryParameters.get("user_id")
            let limitText = request.uri.queryParameters.get("limit") ?? "100"
            guard let limit = Int(limitText), (1...1_000).contains(limit) else {
                return .error(.unprocessableContent, "limit must be an integer from 1 to 1000")
            }
            return try await respond(context.logger) {
                let records = try await desk.sessions(userID: userID).prefix(limit)
                return try .json(encoding: records.map(TrainingSessionSummary.init))
            }
        }
        group.get("/sessions/{id}") { _, context -> Response in
            let sessionID = try id(context)
            return try await respond(context.logger) { try .json(encoding: TrainingSessionSummary(try await desk.session(id: sessionID))) }
        }
        group.get("/sessions/{id}/evaluation") { _, context -> Response in
            let sessionID = try id(context)
            return try await respond(context.logger) {
                let (record, report, name) = try await desk.report(id: sessionID)
                return try .json(encoding: TrainingEvaluation(record: record, report: report, customerName: name))
            }
        }
        group.get("/sessions/{id}/radar.svg") { _, context -> Response in
            let sessionID = try id(context)
            return try await respond(context.logger) {
                let (record, report, name) = try await desk.report(id: sessionID)
                return .asset(report.radarSVG(chinese: TrainingEvaluation.isChinese(record, name)), contentType: "image/svg+xml; charset=utf-8")
            }
        }
    }

    /// A session id from the path: the decimal ids the store gives.
    static func id(_ context: AppRequestContext) throws -> String {
        guard let text = context.parameters.get("id"), text.count <= 18, let number = Int(text), number >= 1 else {
            throw HTTPError(.notFound, message: "training session ids are positive integers")
        }
        return String(number)
    }

    /// Maps the mode's errors: unknown session or customer 404, anything else 500 with the details in the log only.
    static func respond(_ logger: Logger, _ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let error as TrainingError {
            switch error {
            case .sessionNotFound: return .error(.notFound, error.description)
            case .stageTurnsUnavailable: return .error(.internalServerError, error.userMessage)
            }
        } catch let error as CustomerError {
            return .error(.notFound, error.description)
        } catch let error as HTTPError {
            throw error
        } catch {
            logger.error("training request failed", metadata: ["error": "\(error)"])
            return .error(.internalServerError, "the request could not be handled; the server log has the details")
        }
    }
}

/// The body of `POST …/training/sessions/start`: `{"customer_id": 1, "user_id": "user123"}`, `user_id` and
/// `difficulty` (easy, normal or hard; the customer's own when absent) optional.
struct TrainingStartRequest {
    struct Invalid: Error, CustomStringConvertible { var description: String }

    var customerID: Int
    var userID: String
    var difficulty: CustomerProfile.Difficulty?

    static let usage = "send {\"customer_id\": 1, \"user_id\": \"user123\"}"

    static func read(_ body: Data) throws -> TrainingStartRequest {
        guard let object = (try? JSONValue.parse(body))?.objectValue else { throw Invalid(description: "the body is not a JSON object: \(usage)") }
        let unknown = object.keys.filter { !["customer_id", "user_id", "difficulty"].contains($0) }.sorted()
        guard unknown.isEmpty else { throw Invalid(description: "unknown field(s) \(unknown.joined(separator: ", ")): \(usage)") }
        guard let number = object["customer_id"]?.doubleValue, number == number.rounded(), number >= 1, number <= Double(Int32.max) else {
            throw Invalid(description: "customer_id must be a positive integer id: \(usage)")
        }
        var userID = "anonymous"
        switch object["user_id"] {
        case nil: break
        case .string(let text)?:
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard (1...128).contains(trimmed.count) else { throw Invalid(description: "user_id must be 1 to 128 characters") }
            userID = trimmed
        default:
            throw Invalid(description: "user_id must be a string: \(usage)")
        }
        var difficulty: CustomerProfile.Difficulty?
        if let value = object["difficulty"] {
            guard let text = value.stringValue, let parsed = CustomerProfile.Difficulty(rawValue: text) else {
                throw Invalid(description: "difficulty must be easy, normal or hard")
            }
            difficulty = parsed
        }
        return TrainingStartRequest(customerID: Int(number), userID: userID, difficulty: difficulty)
    }
}

/// A training session as the API lists it.
struct TrainingSessionSummary: Encodable {
    var record: TrainingSessionRecord

    init(_ record: TrainingSessionRecord) { self.record = record }

    enum CodingKeys: String, CodingKey {
        case id, status, stage, total, level, difficulty
        case sessionID = "session_id"
        case customerID = "customer_id"
        case userID = "user_id"
        case completedStages = "completed_stages"
        case turns
        case webSocket = "ws_url"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(record.id, forKey: .id)
        try container.encode(record.id, forKey: .sessionID)
        try container.encode(record.customerID, forKey: .customerID)
        try container.encode(record.userID, forKey: .userID)
        try container.encode(record.status, forKey: .status)
        try container.encode(record.state.progress.stage.rawValue, forKey: .stage)
        try container.encode(record.state.progress.completed.map(\.rawValue), forKey: .completedStages)
        try container.encode(record.state.turns.count, forKey: .turns)
        try container.encodeIfPresent(record.state.difficulty, forKey: .difficulty)
        try container.encodeIfPresent(record.report?.total, forKey: .total)
        try container.encodeIfPresent(record.report?.level, forKey: .level)
        try container.encode("/api/digital-customer/training/ws/\(record.id)", forKey: .webSocket)
        try container.encode(record.createdAt, forKey: .createdAt)
        try container.encode(record.updatedAt, forKey: .updatedAt)
    }
}

/// `GET …/sessions/{id}/evaluation`: the report (final once the session is completed, as it stands before) with
/// the session and the radar chart.
struct TrainingEvaluation: Encodable {
    var record: TrainingSessionRecord
    var report: TrainingReport
    var customerName: String?

    static func isChinese(_ record: TrainingSessionRecord, _ name: String?) -> Bool {
        MessageText.isChinese((name ?? "") + record.state.conversation.filter { $0.role == .assistant }.map(\.content).joined())
    }

    enum CodingKeys: String, CodingKey {
        case status, final
        case sessionID = "session_id"
        case customerID = "customer_id"
        case customerName = "customer_name"
        case userID = "user_id"
        case radarSVG = "radar_svg"
        case radarURL = "radar_url"
    }

    func encode(to encoder: any Encoder) throws {
        try report.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(record.id, forKey: .sessionID)
        try container.encode(record.status, forKey: .status)
        try container.encode(record.report != nil, forKey: .final)
        try container.encode(record.customerID, forKey: .customerID)
        try container.encodeIfPresent(customerName, forKey: .customerName)
        try container.encode(record.userID, forKey: .userID)
        try container.encode(report.radarSVG(chinese: Self.isChinese(record, customerName)), forKey: .radarSVG)
        try container.encode("/api/digital-customer/training/sessions/\(record.id)/radar.svg", forKey: .radarURL)
    }
}
