import Hummingbird
import VividCrowdCore

/// Turns the router's 404 for a path that exists under other methods into 405 with `Allow`, and a handler's thrown 404
/// on a documented path into the spec's JSON 404, reading the paths and methods from the OpenAPI document, so the
/// server and its spec cannot disagree.
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
            // A literal segment is more specific than a template: /api/celebrity/upload before /api/celebrity/{id}.
            let candidates = routes.filter { Self.matches($0.segments, segments) }
            guard let route = candidates.max(by: { Self.literals($0.segments) < Self.literals($1.segments) }) else { throw error }
            // A documented path and method whose resource does not exist (a twin id that is not a number): the
            // spec's JSON 404.
            guard !route.methods.contains(request.method.rawValue) else {
                return Response.error(.notFound, error.body ?? "no such resource")
            }
            let allowed = route.methods
            var response = Response.error(
                .methodNotAllowed, "\(request.method.rawValue) is not supported here; use \(allowed.joined(separator: ", "))")
            response.headers[.allow] = allowed.joined(separator: ", ")
            return response
        }
    }

    static func literals(_ template: [Substring]) -> Int { template.filter { !$0.hasPrefix("{") }.count }

    static func matches(_ template: [Substring], _ path: [Substring]) -> Bool {
        template.count == path.count
            && zip(template, path).allSatisfy { pattern, segment in pattern.hasPrefix("{") || pattern == segment }
    }
}
