import CoreMetrics
import Prometheus
import VividCrowdCore

/// The server's Prometheus registry, exposed at `/metrics`: HTTP and WebSocket traffic recorded here, the modes'
/// figures (LLM calls, bands, routing paths, imports) through `domain`. One per server, injected, never global.
struct ServerMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    let factory: PrometheusMetricsFactory

    init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // From a cached answer (a millisecond) to a slow model's reply (a minute).
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
            .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5),
            .seconds(10), .seconds(30), .seconds(60),
        ]
        self.factory = factory
    }

    /// Where Core reports the modes' figures.
    var domain: DomainMetrics { DomainMetrics(factory: factory) }

    /// One answered HTTP request; `route` is the matched route's template, never the raw path.
    func httpRequest(route: String, method: String, status: Int, seconds: Double) {
        Counter(
            label: "vividcrowd_http_requests_total",
            dimensions: [("route", route), ("method", method), ("status", String(status))], factory: factory
        ).increment()
        Timer(label: "vividcrowd_http_request_duration_seconds", dimensions: [("route", route), ("method", method)], factory: factory)
            .recordNanoseconds(Int64((seconds * 1e9).rounded()))
    }

    /// A WebSocket connection of `route` opened.
    func socketOpened(route: String) {
        Counter(label: "vividcrowd_websocket_connections_total", dimensions: [("route", route)], factory: factory).increment()
        Meter(label: "vividcrowd_websocket_open", dimensions: [("route", route)], factory: factory).increment()
    }

    /// A WebSocket connection of `route` closed.
    func socketClosed(route: String) {
        Meter(label: "vividcrowd_websocket_open", dimensions: [("route", route)], factory: factory).decrement()
    }

    /// One WebSocket message handled: `ok`, or the code of the error frame it got.
    func socketMessage(route: String, outcome: String, seconds: Double) {
        Counter(
            label: "vividcrowd_websocket_messages_total", dimensions: [("route", route), ("outcome", outcome)], factory: factory
        ).increment()
        Timer(label: "vividcrowd_websocket_message_duration_seconds", dimensions: [("route", route)], factory: factory)
            .recordNanoseconds(Int64((seconds * 1e9).rounded()))
    }

    /// The Prometheus text exposition, with the open TCP connections (HTTP and WebSocket) as of now.
    func exposition(openConnections: Int) -> String {
        Meter(label: "vividcrowd_open_connections", factory: factory).set(openConnections)
        return registry.emitToString()
    }
}
