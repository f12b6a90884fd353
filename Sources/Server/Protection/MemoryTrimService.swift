#if canImport(Glibc)
import Glibc
#endif
import Logging
import ServiceLifecycle
import VividCrowdCore

/// Gives memory freed by closed connections back to the system. glibc keeps freed memory in its per-thread arenas
/// and returns it only from the top of the main heap, so after a burst of connections the process stays at its
/// high-water mark: measured, +9 to +11 MB resident after 30,000 WebSocket connections had come and gone, although the
/// bytes in use were back where they started (reports/reliability.md). `malloc_trim` returns it. It runs on the
/// ticks of a burst (at least `closedThreshold` connections closed since the previous tick) and on every tick of the
/// `afterBurst` that follows, because the bytes in use come back down only 30–35 s after the sockets closed
/// (measured); a quiet server is never disturbed.
struct MemoryTrimService<C: Clock>: Service where C.Duration == Duration {
    let connections: ConnectionCount
    let interval: Duration
    let clock: C
    let logger: Logger
    let trim: @Sendable () async -> Void

    init(
        connections: ConnectionCount, interval: Duration, clock: C, logger: Logger,
        trim: @escaping @Sendable () async -> Void = MemoryTrim.systemTrim
    ) {
        self.connections = connections
        self.interval = interval
        self.clock = clock
        self.logger = logger
        self.trim = trim
    }

    func run() async throws {
        var policy = MemoryTrimPolicy(interval: interval, closedEver: connections.closedEver)
        let (clock, interval) = (self.clock, self.interval)
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await clock.sleep(for: interval) }
            } catch {
                return  // cancelled or shutting down: the server is stopping
            }
            let closed = connections.closedEver
            guard policy.tick(closedEver: closed) else { continue }
            await trim()
            logger.debug("returned freed memory to the system", metadata: ["connections_closed": "\(closed)"])
        }
    }
}

/// When to trim: on a tick that saw a burst (at least `closedThreshold` connections closed since the previous tick)
/// and on every tick of the `afterBurst` that follows.
struct MemoryTrimPolicy: Sendable {
    let closedThreshold: Int
    let ticksAfterBurst: Int
    private var closedAtLastTick: Int
    private var trimsOwed = 0

    init(interval: Duration, closedEver: Int, closedThreshold: Int = 200, afterBurst: Duration = .seconds(75)) {
        self.closedThreshold = closedThreshold
        ticksAfterBurst = Int((afterBurst / interval).rounded(.up))
        closedAtLastTick = closedEver
    }

    /// Whether to trim on this tick, given the connections closed since the server started.
    mutating func tick(closedEver closed: Int) -> Bool {
        if closed - closedAtLastTick >= closedThreshold { trimsOwed = 1 + ticksAfterBurst }
        closedAtLastTick = closed
        guard trimsOwed > 0 else { return false }
        trimsOwed -= 1
        return true
    }
}
