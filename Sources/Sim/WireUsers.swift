import Foundation
import VividCrowdCore
import VividCrowdEvaluation

/// Synthetic users as concurrent WebSocket clients, shared by the over-the-wire drivers.
enum WireUsers {
    private actor Failures {
        var first: String?
        func record(_ reason: String) { if first == nil { first = reason } }
    }

    /// The server URL's WebSocket form with `path` appended.
    static func socketURL(_ server: String, path: String) -> String {
        server.replacingOccurrences(of: "http", with: "ws", options: .anchored) + path
    }

    /// Runs `converse` for users 0..<count, `concurrency` at a time; any user's failure fails the run, naming them.
    static func run(
        count: Int, concurrency: Int, scenario: String, _ converse: @escaping @Sendable (Int) async throws -> Void
    ) async throws {
        let permits = AsyncSemaphore(permits: concurrency)
        let failures = Failures()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for user in 0..<count {
                group.addTask {
                    try await permits.withPermit {
                        do {
                            try await converse(user)
                        } catch {
                            await failures.record("user \(user): \(error)")
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        if let failure = await failures.first {
            throw ScenarioError(file: scenario, reason: "over the wire: \(failure)")
        }
    }
}
