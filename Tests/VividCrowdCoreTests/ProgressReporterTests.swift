import Foundation
import Synchronization
import Testing
import VividCrowdCore

/// A settable instant and the lines written, for a reporter under test.
private final class Console: Sendable {
    private let state = Mutex((elapsed: Duration.zero, lines: [String]()))
    private let origin = ContinuousClock.now

    var now: ContinuousClock.Instant { origin + state.withLock { $0.elapsed } }
    var lines: [String] { state.withLock { $0.lines } }
    func wait(_ duration: Duration) { state.withLock { $0.elapsed += duration } }
    func write(_ line: String) { state.withLock { $0.lines.append(line) } }
}

@Suite("Progress")
struct ProgressReporterTests {
    @Test("in a log, a line every interval (none for a short run), counting work as it becomes known")
    func plainLines() {
        let console = Console()
        let reporter = ProgressReporter(
            label: "embedding qa.csv", interactive: false, interval: .seconds(5), now: { console.now }, write: console.write)
        reporter.expect(100)
        reporter.advance(25)
        console.wait(.seconds(2))
        reporter.advance(25)
        #expect(console.lines.isEmpty)
        console.wait(.seconds(4))
        reporter.advance(10)
        #expect(console.lines == ["embedding qa.csv: 60/100 (60%) 6 s\n"])
        reporter.expect(100)
        console.wait(.seconds(1))
        reporter.advance(40)
        #expect(console.lines.count == 1)
        reporter.finish()
        #expect(console.lines.last == "embedding qa.csv: 100/200 (50%) 7 s\n")

        let quiet = Console()
        let short = ProgressReporter(label: "x", interactive: false, now: { quiet.now }, write: quiet.write)
        short.expect(3)
        short.advance(3)
        short.finish()
        #expect(quiet.lines.isEmpty)
    }

    @Test("on a terminal, a bar redrawn in place at most ten times a second, and its line ended at the finish")
    func terminalBar() {
        let console = Console()
        let reporter = ProgressReporter(label: "users", interactive: true, now: { console.now }, write: console.write)
        reporter.expect(4)
        reporter.advance()
        reporter.advance()
        #expect(console.lines == ["\rusers [######..................] 1/4 (25%) 0 s"])
        console.wait(.milliseconds(150))
        reporter.advance(2)
        reporter.finish()
        #expect(console.lines.last == "\rusers [########################] 4/4 (100%) 0 s\n")
    }

    @Test("work in a task reports to the reporter its command set, child tasks included")
    func taskLocal() async {
        let console = Console()
        let reporter = ProgressReporter(label: "t", interactive: false, interval: .zero, now: { console.now }, write: console.write)
        await ProgressReporter.$current.withValue(reporter) {
            ProgressReporter.current?.expect(2)
            await withTaskGroup(of: Void.self) { group in
                group.addTask { ProgressReporter.current?.advance() }
                group.addTask { ProgressReporter.current?.advance() }
            }
        }
        #expect(ProgressReporter.current == nil)
        #expect(console.lines.last == "t: 2/2 (100%) 0 s\n")
    }
}
