/// Thrown by `withTimeout` when the operation does not finish in time.
public struct TimeoutError: Error, Sendable {
    public let duration: Duration
}

/// Runs `operation`, cancelling it and throwing `TimeoutError` if it takes longer than `duration` on `clock`.
public func withTimeout<T: Sendable>(
    _ duration: Duration, clock: any Clock<Duration> = ContinuousClock(),
    _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await clock.sleep(for: duration)
            throw TimeoutError(duration: duration)
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}

extension Duration {
    /// The duration in seconds as a floating-point number.
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

/// Starts measuring on `clock`; the returned closure reads the time elapsed since this call.
public func startStopwatch(on clock: any Clock<Duration>) -> @Sendable () -> Duration {
    func start<C: Clock<Duration>>(_ clock: C) -> @Sendable () -> Duration {
        let origin = clock.now
        return { origin.duration(to: clock.now) }
    }
    return start(clock)
}
