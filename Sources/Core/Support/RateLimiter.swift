/// Token buckets keyed by client: each key may spend `capacity` at once and regains `perMinute` a minute, on the
/// injected clock. Full buckets are forgotten when the table grows, so a flood of new keys cannot exhaust memory.
public actor RateLimiter {
    /// One limit: a burst of `capacity`, refilled at `perMinute`.
    public struct Rule: Sendable, Hashable {
        public var capacity: Double
        public var perMinute: Double

        public init(perMinute: Int, burst: Int? = nil) {
            self.init(capacity: Double(burst ?? perMinute), perMinute: Double(perMinute))
        }

        /// A bucket of `capacity` that refills at `perMinute` (which may be a fraction).
        public init(capacity: Double, perMinute: Double) {
            self.capacity = capacity
            self.perMinute = perMinute
        }
    }

    private struct Bucket {
        var tokens: Double
        var updated: Duration
    }

    private let elapsed: @Sendable () -> Duration
    private var buckets: [String: Bucket] = [:]
    /// Keys locked out, until the given time on the clock.
    private var locks: [String: Duration] = [:]
    /// Buckets kept before full ones are swept.
    private let sweepThreshold: Int

    public init(clock: any Clock<Duration> = ContinuousClock(), sweepThreshold: Int = 100_000) {
        self.elapsed = startStopwatch(on: clock)
        self.sweepThreshold = sweepThreshold
    }

    /// Spends `cost` from `key`'s bucket; nil when allowed, otherwise how long until it would be.
    public func take(_ key: String, rule: Rule, cost: Double = 1) -> Duration? {
        var bucket = refilled(key, rule: rule)
        guard bucket.tokens >= cost else { return wait(for: cost - bucket.tokens, rule: rule) }
        bucket.tokens -= cost
        store(bucket, for: key)
        return nil
    }

    /// How long until `key` could spend `cost`, without spending anything; nil when it could now.
    public func waitBefore(_ key: String, rule: Rule, cost: Double = 1) -> Duration? {
        let bucket = refilled(key, rule: rule)
        return bucket.tokens >= cost ? nil : wait(for: cost - bucket.tokens, rule: rule)
    }

    /// Locks `key` out for `duration`.
    public func lock(_ key: String, for duration: Duration) {
        locks[key] = elapsed() + duration
    }

    /// How long `key` stays locked out; nil when it is not.
    public func lockRemaining(_ key: String) -> Duration? {
        guard let until = locks[key] else { return nil }
        let now = elapsed()
        guard now < until else {
            locks[key] = nil
            return nil
        }
        return until - now
    }

    private func refilled(_ key: String, rule: Rule) -> Bucket {
        let now = elapsed()
        guard var bucket = buckets[key] else { return Bucket(tokens: rule.capacity, updated: now) }
        let minutes = (now - bucket.updated).seconds / 60
        bucket.tokens = min(rule.capacity, bucket.tokens + minutes * rule.perMinute)
        bucket.updated = now
        return bucket
    }

    private func wait(for missing: Double, rule: Rule) -> Duration {
        .milliseconds(Int((missing / rule.perMinute * 60_000).rounded(.up)))
    }

    private func store(_ bucket: Bucket, for key: String) {
        buckets[key] = bucket
        guard buckets.count > sweepThreshold else { return }
        // Old entries have refilled by now; dropping a bucket is the same as it being full.
        let now = elapsed()
        buckets = buckets.filter { now - $0.value.updated < .seconds(3_600) }
    }
}
