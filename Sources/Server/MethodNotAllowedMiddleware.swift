import Hummingbird
import VividCrowdCore

/// Turns the router's 404 for a path that exists under other methods into 405 with `Allow`, reading the paths and
/// methods from the OpenAPI document, so the server and its spec cannot disagree.
struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Path templates split into segments (`{id}` matches any one segment), with their methods in upper case.
    let routes: [(segments: [Substring], methods: [String])]

    init(document: JSONValue = OpenAPIDocument.document) {
        routes = (document["paths"]?.objectValue ?? [:]).map { path, operations in
            let methods = (operations.objectValue ?? [:]).keys.map { $0.uppercased() }.sorted()
            return (path.split(separator: "/"), methods)
        }
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let segments = request.uri.path.split(separator: "/")
            guard let route = routes.first(where: { Self.matches($0.segments, segments) }),
                !route.methods.contains(request.method.rawValue)
            else { throw error }
            let allowed = route.methods
            var response = Response.error(
                .methodNotAllowed, "\(request.method.rawValue) is not supported here; use \(allowed.joined(separator: ", "))")
            response.headers[.allow] = allowed.joined(separator: ", ")
            return response
        }
    }

    static func matches(_ template: [Substring], _ path: [Substring]) -> Bool {
        template.count == path.count
            && zip(template, path).allSatisfy { pattern, segment in pattern.hasPrefix("{") || pattern == segment }
    }
}
