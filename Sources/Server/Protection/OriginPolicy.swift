import Hummingbird

/// Which browser origins may change state or open sockets: the server's own, plus `CORS_ORIGINS`. Requests that no
/// browser sent (no `Origin`, no `Sec-Fetch-Site`) pass: the original's Python clients and curl are not web pages.
struct OriginPolicy: Sendable {
    let allowed: Set<String>

    init(corsOrigins: [String]) { allowed = Set(corsOrigins) }

    /// Whether a request changes state or upgrades to a socket, so that a foreign page must not send it.
    static func isSensitive(_ request: Request) -> Bool {
        switch request.method {
        case .get, .head: return request.headers[.upgrade]?.lowercased() == "websocket"
        case .options: return false
        default: return true
        }
    }

    /// The origin of a browser request when it is not the server's own, else nil.
    static func foreignOrigin(_ request: Request) -> String? {
        let host = request.head.authority?.lowercased() ?? ""
        // Pages have http(s) origins, or "null" when sandboxed; a socket library's ws:// origin is no page.
        if let origin = request.headers[.origin]?.lowercased(),
            origin == "null" || origin.hasPrefix("http://") || origin.hasPrefix("https://")
        {
            let ownOrigins = ["http://" + host, "https://" + host]
            return ownOrigins.contains(origin) ? nil : origin
        }
        // A browser that sends no Origin still says where the request came from.
        switch request.headers[.secFetchSite]?.lowercased() {
        case "cross-site", "same-site": return "(another site)"
        default: return nil
        }
    }

    /// Whether a foreign origin is let in.
    func allows(_ origin: String) -> Bool { allowed.contains("*") || allowed.contains(origin) }

    /// The 403 for a foreign page's sensitive request, or nil to let it through.
    func refusal(_ request: Request) -> Response? {
        guard Self.isSensitive(request), let origin = Self.foreignOrigin(request), !allows(origin) else { return nil }
        return .error(
            .forbidden,
            "requests from \(origin) may not change data or open sockets here; the operator can allow it with CORS_ORIGINS")
    }

    /// The answer to a CORS preflight.
    func preflight(_ request: Request) -> Response {
        guard let origin = request.headers[.origin]?.lowercased(), allows(origin) else {
            return Response(status: .forbidden)
        }
        var headers: HTTPFields = [
            .accessControlAllowOrigin: origin, .accessControlAllowMethods: "GET, POST, PUT, PATCH, DELETE, OPTIONS",
            .accessControlAllowHeaders: "authorization, content-type, x-admin-token", .accessControlMaxAge: "600",
        ]
        headers[.vary] = "Origin"
        return Response(status: .noContent, headers: headers)
    }

    /// CORS headers for an allowed foreign origin's response.
    func decorate(_ response: inout Response, for request: Request) {
        guard let origin = request.headers[.origin]?.lowercased(), Self.foreignOrigin(request) != nil, allows(origin)
        else { return }
        response.headers[.accessControlAllowOrigin] = origin
        response.headers[.vary] = "Origin"
    }
}
