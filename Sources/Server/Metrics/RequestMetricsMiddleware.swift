import Hummingbird

/// Counts and times every HTTP request by its matched route, method and status (refusals and errors included).
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        // The route template ("/api/celebrity/{id}"), so ids and junk paths do not each make a series.
        let route = context.endpointPath ?? "unmatched"
        do {
            let response = try await next(request, context)
            metrics.httpRequest(
                route: route, method: request.method.rawValue, status: response.status.code,
                seconds: (ContinuousClock.now - started).seconds)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status ?? .internalServerError
            metrics.httpRequest(
                route: route, method: request.method.rawValue, status: status.code, seconds: (ContinuousClock.now - started).seconds)
            throw error
        }
    }
}
