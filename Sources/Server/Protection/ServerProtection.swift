import Foundation
import Hummingbird
import VividCrowdCore

/// The server's own defences, shared by every route: the origin policy, per-client rate limits, the admin token
/// with its lockout, and the headers every response carries.
struct ServerProtection: Sendable {
    /// What a limit counts.
    enum Limited: String, Sendable {
        case sessions, ratings, uploads, messages, adminFailures
    }

    let settings: ProtectionSettings
    let adminToken: String?
    let origins: OriginPolicy
    let limiter: RateLimiter
    private let clock: any Clock<Duration>

    init(settings: ProtectionSettings, adminToken: String?, clock: any Clock<Duration> = ContinuousClock()) {
        self.settings = settings
        self.clock = clock
        self.adminToken = adminToken.flatMap { $0.isEmpty ? nil : $0 }
        self.origins = OriginPolicy(corsOrigins: settings.corsOrigins)
        self.limiter = RateLimiter(clock: clock)
    }

    func rule(_ limited: Limited) -> RateLimiter.Rule {
        switch limited {
        case .sessions: return .init(perMinute: settings.sessionsPerMinute)
        case .ratings: return .init(perMinute: settings.ratingsPerMinute)
        case .uploads: return .init(perMinute: settings.uploadsPerMinute)
        case .messages: return .init(perMinute: settings.messagesPerMinute)
        case .adminFailures:
            // A full bucket of allowed failures, refilled over the lockout period.
            return .init(
                capacity: Double(settings.lockoutFailures),
                perMinute: Double(settings.lockoutFailures) / Double(settings.lockoutMinutes))
        }
    }

    /// How long `client` must wait before doing `limited` again; nil when it may go ahead (and it is counted).
    func wait(_ limited: Limited, client: String) async -> Duration? {
        guard settings.rateLimits else { return nil }
        return await limiter.take("\(limited.rawValue) \(client)", rule: rule(limited))
    }

    /// A limiter of its own for one socket connection's messages (nil when limits are off); it goes with the
    /// connection, so nothing is left behind per connection.
    func connectionBudget() -> RateLimiter? {
        settings.rateLimits ? RateLimiter(clock: clock) : nil
    }

    /// The 429 answer for a wait.
    static func tooMany(_ wait: Duration, what: String) -> Response {
        var response = Response.error(.tooManyRequests, "too many \(what); try again in \(Self.seconds(wait)) s")
        response.headers[.retryAfter] = String(Self.seconds(wait))
        return response
    }

    static func seconds(_ wait: Duration) -> Int { max(1, Int(wait.seconds.rounded(.up))) }

    /// nil when the request may use an admin route; otherwise the 401 (wrong or missing token) or the 429 (this
    /// client guessed wrong too often). Without a configured token every request may.
    func admit(_ request: Request, client: String) async -> Response? {
        guard let expected = adminToken else { return nil }
        let key = "\(Limited.adminFailures.rawValue) \(client)"
        if let locked = await limiter.lockRemaining(key) {
            return Self.tooMany(locked, what: "wrong admin tokens")
        }
        let bearer = request.headers[.authorization].flatMap { header -> String? in
            header.lowercased().hasPrefix("bearer ") ? String(header.dropFirst(7)) : nil
        }
        if let given = bearer ?? request.headers[.xAdminToken], Self.constantTimeEqual(given, expected) { return nil }
        // The failure that spends the last allowed one locks the client out for the whole period.
        _ = await limiter.take(key, rule: rule(.adminFailures))
        if await limiter.waitBefore(key, rule: rule(.adminFailures)) != nil {
            await limiter.lock(key, for: .seconds(60 * settings.lockoutMinutes))
        }
        return .error(.unauthorized, "this endpoint needs the admin token: Authorization: Bearer <ADMIN_TOKEN>")
    }

    private static func constantTimeEqual(_ left: String, _ right: String) -> Bool {
        let a = Array(left.utf8), b = Array(right.utf8)
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// Headers every response carries: no sniffing, no framing, no referrer, and a content policy that lets the
    /// page load only its own scripts and styles and talk only to this server.
    static let securityHeaders: HTTPFields = [
        .xContentTypeOptions: "nosniff",
        .xFrameOptions: "DENY",
        .referrerPolicy: "no-referrer",
        .crossOriginOpenerPolicy: "same-origin",
        .contentSecurityPolicy:
            "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; script-src 'self'; "
            + "style-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    ]
}

/// Applies the protection to every request: CORS preflights, the origin policy on sensitive requests, and the
/// security headers on every answer, errors included.
struct ProtectionMiddleware<Context: RequestContext>: RouterMiddleware {
    let protection: ServerProtection

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        var response: Response
        if request.method == .options, request.headers[.origin] != nil {
            response = protection.origins.preflight(request)
        } else if let refusal = protection.origins.refusal(request) {
            response = refusal
        } else {
            do {
                response = try await next(request, context)
            } catch let error as any HTTPResponseError {
                response = try error.response(from: request, context: context)
            }
            protection.origins.decorate(&response, for: request)
        }
        for field in ServerProtection.securityHeaders where response.headers[field.name] == nil {
            response.headers.append(field)
        }
        return response
    }
}
