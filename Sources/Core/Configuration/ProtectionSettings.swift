/// How the server protects itself and its data from other web sites, careless clients and floods.
public struct ProtectionSettings: Sendable, Equatable {
    /// Browser origins (`scheme://host:port`) besides the server's own that may call state-changing routes and open
    /// sockets; `*` allows any. Empty: same origin only.
    public var corsOrigins: [String]
    /// Start on a non-loopback address without `ADMIN_TOKEN` (the operator accepts open writes).
    public var allowNoAdminToken: Bool
    /// Per-client rate limits; off for load tests on one machine.
    public var rateLimits: Bool
    public var sessionsPerMinute: Int
    public var ratingsPerMinute: Int
    public var uploadsPerMinute: Int
    /// Per socket connection.
    public var messagesPerMinute: Int
    /// Wrong admin tokens from one client before it is locked out for `lockoutMinutes`.
    public var lockoutFailures: Int
    public var lockoutMinutes: Int
    /// Seconds a connection may stay silent (no request, no response) before it is closed.
    public var idleTimeout: Int
    /// Seconds a client has to send a complete request head, from connecting or from the previous response.
    public var headerReadTimeout: Int
    /// Largest request head (request line and headers), in bytes; larger ones get 431.
    public var maxHeaderBytes: Int
    /// Open connections at most; more get 503 with Retry-After.
    public var maxConnections: Int
    /// Seconds between checks for memory that closed connections freed, to give back to the system; 0: never.
    public var memoryTrimSeconds: Int

    init(_ env: EnvironmentReader) throws {
        corsOrigins = (env.optionalString("CORS_ORIGINS") ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            .map { $0 == "*" ? $0 : ($0.hasSuffix("/") ? String($0.dropLast()) : $0).lowercased() }
        allowNoAdminToken = try env.choice("ALLOW_NO_ADMIN_TOKEN", default: Switch.off) == .on
        rateLimits = try env.choice("RATE_LIMITS", default: Switch.on) == .on
        sessionsPerMinute = try env.int("RATE_LIMIT_SESSIONS_PER_MINUTE", default: 60, in: 1...1_000_000)
        ratingsPerMinute = try env.int("RATE_LIMIT_RATINGS_PER_MINUTE", default: 60, in: 1...1_000_000)
        uploadsPerMinute = try env.int("RATE_LIMIT_UPLOADS_PER_MINUTE", default: 10, in: 1...1_000_000)
        messagesPerMinute = try env.int("RATE_LIMIT_MESSAGES_PER_MINUTE", default: 60, in: 1...1_000_000)
        lockoutFailures = try env.int("ADMIN_LOCKOUT_FAILURES", default: 10, in: 1...1_000_000)
        lockoutMinutes = try env.int("ADMIN_LOCKOUT_MINUTES", default: 15, in: 1...10_080)
        idleTimeout = try env.int("IDLE_TIMEOUT", default: 120, in: 1...86_400)
        headerReadTimeout = try env.int("HEADER_READ_TIMEOUT", default: 30, in: 1...3_600)
        maxHeaderBytes = try env.int("MAX_HEADER_BYTES", default: 32 * 1024, in: 1024...1_048_576)
        maxConnections = try env.int("MAX_CONNECTIONS", default: 20_000, in: 1...1_000_000)
        memoryTrimSeconds = try env.int("MEMORY_TRIM_SECONDS", default: 30, in: 0...86_400)
    }

    /// The settings as `show-config` prints them.
    var summary: [(String, String)] {
        [
            ("CORS_ORIGINS", corsOrigins.isEmpty ? "(same origin only)" : corsOrigins.joined(separator: ",")),
            ("ALLOW_NO_ADMIN_TOKEN", allowNoAdminToken ? "on" : "off"), ("RATE_LIMITS", rateLimits ? "on" : "off"),
            ("RATE_LIMIT_SESSIONS_PER_MINUTE", String(sessionsPerMinute)),
            ("RATE_LIMIT_RATINGS_PER_MINUTE", String(ratingsPerMinute)),
            ("RATE_LIMIT_UPLOADS_PER_MINUTE", String(uploadsPerMinute)),
            ("RATE_LIMIT_MESSAGES_PER_MINUTE", String(messagesPerMinute)),
            ("ADMIN_LOCKOUT_FAILURES", String(lockoutFailures)), ("ADMIN_LOCKOUT_MINUTES", String(lockoutMinutes)),
            ("IDLE_TIMEOUT", String(idleTimeout)), ("HEADER_READ_TIMEOUT", String(headerReadTimeout)),
            ("MAX_HEADER_BYTES", String(maxHeaderBytes)), ("MAX_CONNECTIONS", String(maxConnections)),
            ("MEMORY_TRIM_SECONDS", String(memoryTrimSeconds)),
        ]
    }
}
