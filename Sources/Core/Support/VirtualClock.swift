import Foundation
import Synchronization

/// A clock whose sleeps return at once and move its time forward, so typing delays, night mode and daily limits run
/// in virtual time in tests and the simulator. `date` is the wall-clock time it stands for.
public final class VirtualClock: Clock, Sendable {
    public struct Instant: InstantProtocol, Sendable {
        public var offset: Duration
        public func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        public func duration(to other: Instant) -> Duration { other.offset - offset }
        public static func < (left: Instant, right: Instant) -> Bool { left.offset < right.offset }
    }

    private let elapsed = Mutex<Duration>(.zero)
    private let start: Date

    /// A clock standing at `start`.
    public init(start: Date) { self.start = start }

    public var now: Instant { Instant(offset: elapsed.withLock { $0 }) }
    public var minimumResolution: Duration { .nanoseconds(1) }

    public func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        try Task.checkCancellation()
        elapsed.withLock { $0 = max($0, deadline.offset) }
        await Task.yield()
    }

    /// Moves time forward without sleeping.
    public func advance(by duration: Duration) { elapsed.withLock { $0 += duration } }

    /// The wall-clock time the clock stands at.
    public var date: Date { start.addingTimeInterval(elapsed.withLock { $0 }.seconds) }
}
