import Foundation

/// Exponential backoff with jitter for rate limits, server errors and broken connections.
public struct RetryPolicy: Sendable {
    /// Retries after the first attempt.
    public var maxRetries: Int
    /// Delay before the first retry, doubled for each further one.
    public var baseDelay: Duration
    /// No computed or server-requested delay exceeds this.
    public var maxDelay: Duration

    public init(maxRetries: Int = 3, baseDelay: Duration = .milliseconds(500), maxDelay: Duration = .seconds(30)) {
        self.maxRetries = maxRetries
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// The wait before retry number `attempt` (0-based): the server's Retry-After when given, else backoff
    /// with "equal jitter" (between half and all of the exponential step) so clients do not retry in lockstep.
    public func delay(forAttempt attempt: Int, retryAfter: Duration?) -> Duration {
        if let retryAfter { return min(retryAfter, maxDelay) }
        let step = baseDelay * (1 << min(attempt, 20))
        let capped = min(step, maxDelay)
        return capped / 2 + capped / 2 * Double.random(in: 0...1)
    }

    /// The longest wait a Retry-After header is read as (a server's larger value is capped, not trusted).
    static let longestRetryAfter: Double = 86_400

    /// Parses a Retry-After header: delta-seconds or an HTTP date. Non-finite or negative values are ignored and
    /// huge ones capped, so no header can overflow a duration.
    public static func parseRetryAfter(_ value: String?, now: Date = Date()) -> Duration? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let seconds = Double(value) {
            guard seconds.isFinite, seconds >= 0 else { return nil }
            return .milliseconds(Int(min(seconds, longestRetryAfter) * 1000))
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        let wait = date.timeIntervalSince(now)
        guard wait.isFinite else { return nil }
        return .milliseconds(Int(min(max(0, wait), longestRetryAfter) * 1000))
    }
}
