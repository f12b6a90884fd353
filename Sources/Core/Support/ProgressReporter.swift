#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

/// Shows how far a long command has come: on a terminal, a bar redrawn in place (at most ten times a second);
/// otherwise (CI logs, pipes) a line every few seconds. Work deep inside Core reports to the reporter of the task
/// that runs it (`ProgressReporter.current`), so commands opt in by scope, with nothing threaded through.
public final class ProgressReporter: Sendable {
    /// The reporter of the running task, if its command set one.
    @TaskLocal public static var current: ProgressReporter?

    private struct State {
        var total = 0
        var done = 0
        var lastShown: ContinuousClock.Instant?
        var shownAny = false
    }

    private let label: String
    private let interactive: Bool
    private let interval: Duration
    private let started: ContinuousClock.Instant
    private let now: @Sendable () -> ContinuousClock.Instant
    private let write: @Sendable (String) -> Void
    private let state = Mutex(State())

    /// A reporter writing to standard error: a bar when it is a terminal, else a line every `interval`.
    public init(
        label: String, interactive: Bool = isatty(2) != 0, interval: Duration = .seconds(5),
        now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now },
        write: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }
    ) {
        self.label = label
        self.interactive = interactive
        self.interval = interval
        self.now = now
        self.started = now()
        self.write = write
    }

    /// Runs `body` with a reporter labelled `label` as the task's current one, and closes its line afterwards.
    public static func reporting<T>(
        _ label: String, isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> T
    ) async rethrows -> T {
        let reporter = ProgressReporter(label: label)
        defer { reporter.finish() }
        return try await $current.withValue(reporter) { try await body() }
    }

    /// More work became known (`units` more to do).
    public func expect(_ units: Int) {
        state.withLock { $0.total += max(0, units) }
    }

    /// `units` of the expected work are done.
    public func advance(_ units: Int = 1) {
        let line: String? = state.withLock { state in
            state.done += max(0, units)
            let time = now()
            let gap: Duration = interactive ? .milliseconds(100) : interval
            // The first line of a plain log waits a whole interval: short runs print nothing.
            let due = state.lastShown.map { time - $0 >= gap } ?? (interactive || time - started >= gap)
            guard due else { return nil }
            state.lastShown = time
            state.shownAny = true
            return render(state, at: time)
        }
        if let line { write(line) }
    }

    /// Ends the bar's line (or prints the final count, if a line was printed before).
    public func finish() {
        let line: String? = state.withLock { state in
            guard state.shownAny else { return nil }
            state.shownAny = false
            return render(state, at: now()) + (interactive ? "\n" : "")
        }
        if let line { write(line) }
    }

    private func render(_ state: State, at time: ContinuousClock.Instant) -> String {
        let seconds = Int((time - started).components.seconds)
        let total = max(state.total, state.done)
        let fraction = total == 0 ? 0 : Double(state.done) / Double(total)
        let counts = "\(state.done)/\(total) (\(Int(fraction * 100))%) \(seconds) s"
        guard interactive else { return "\(label): \(counts)\n" }
        let width = 24
        let filled = Int(fraction * Double(width))
        return "\r\(label) [" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] \(counts)"
    }
}
