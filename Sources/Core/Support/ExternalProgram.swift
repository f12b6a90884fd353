import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A program on this machine (ffmpeg) run to completion without blocking a thread: its exit is awaited, and a
/// cancelled or timed-out run is killed.
public struct ExternalProgram: Sendable {
    /// The executable's absolute path.
    public let executable: URL

    public init(executable: URL) {
        self.executable = executable
    }

    /// `name` as given when it holds a slash, else the first executable of that name on `PATH`; nil when none.
    public static func locate(_ name: String, path: String? = ProcessInfo.processInfo.environment["PATH"]) -> ExternalProgram? {
        let candidates: [String]
        if name.contains("/") {
            candidates = [name]
        } else {
            candidates = (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":").map { "\($0)/\(name)" }
        }
        for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate) {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue {
                return ExternalProgram(executable: URL(fileURLWithPath: candidate))
            }
        }
        return nil
    }

    /// How a run ended: the exit status (a signal's number when it was killed) and the last lines it wrote to
    /// standard error, for the log.
    public struct Outcome: Sendable {
        public var status: Int32
        public var diagnostics: String
        public var succeeded: Bool { status == 0 }
    }

    /// Runs the program with `arguments` in `directory`, standard error kept in a file there. Throws
    /// `TimeoutError` after `timeout` (the program is killed), and `CancellationError` when the task is cancelled.
    public func run(
        _ arguments: [String], in directory: URL, timeout: Duration, clock: any Clock<Duration> = ContinuousClock()
    ) async throws -> Outcome {
        let errors = directory.appendingPathComponent("stderr.txt")
        FileManager.default.createFile(atPath: errors.path, contents: nil)
        let errorHandle = try FileHandle(forWritingTo: errors)
        defer { try? errorHandle.close() }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errorHandle
        let box = ProcessBox(process)
        let status = try await withTimeout(timeout, clock: clock) {
            try await withTaskCancellationHandler {
                try await box.runToExit()
            } onCancel: {
                // SIGTERM may be masked in children of concurrency threads; SIGKILL is not.
                box.kill()
            }
        }
        let text = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
        return Outcome(status: status, diagnostics: String(text.suffix(2_000)))
    }
}

/// The process and its exit, shared between the task that waits and the handler that kills.
private final class ProcessBox: @unchecked Sendable {
    private let process: Process
    private let lock = NSLock()
    private var started = false
    private var killed = false

    init(_ process: Process) {
        self.process = process
    }

    func runToExit() async throws -> Int32 {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Int32, Error>) in
            process.terminationHandler = { finished in continuation.resume(returning: finished.terminationStatus) }
            lock.lock()
            defer { lock.unlock() }
            guard !killed else {
                process.terminationHandler = nil
                continuation.resume(throwing: CancellationError())
                return
            }
            do {
                try process.run()
                started = true
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
    }

    func kill() {
        lock.lock()
        defer { lock.unlock() }
        killed = true
        if started, process.isRunning { _ = Glibc.kill(process.processIdentifier, SIGKILL) }
    }
}
