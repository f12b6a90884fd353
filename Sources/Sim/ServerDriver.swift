import Foundation
import HummingbirdWSClient
import Logging
import VividCrowdCore

/// The over-the-wire driver: each synthetic customer is a real WebSocket client of a running vividcrowd-server,
/// `scenario.concurrency` of them at once. The server must hold the scenario's knowledge base, and its cassettes (or a
/// live model) must cover the users' questions.
struct ServerDriver {
    let simulation: CustomerServiceSimulation
    let server: String

    actor Collected {
        var turns: [(user: Int, index: Int, turn: CustomerServiceSimulation.Turn, reply: CustomerServiceReply, ms: Double)] = []
        var errors: [String] = []
        func add(_ user: Int, _ index: Int, _ turn: CustomerServiceSimulation.Turn, _ reply: CustomerServiceReply, _ ms: Double) {
            turns.append((user, index, turn, reply, ms))
        }
        func fail(_ reason: String) { errors.append(reason) }
    }

    func run() async throws -> SimulationReport {
        let url = server.replacingOccurrences(of: "http", with: "ws", options: .anchored) + "/api/customer-service/ws"
        let users = try simulation.users()
        let permits = AsyncSemaphore(permits: simulation.scenario.concurrency)
        let collected = Collected()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (number, user) in users.enumerated() {
                group.addTask {
                    try await permits.withPermit {
                        do {
                            try await Self.converse(url: url, user: number, turns: user.turns, into: collected)
                        } catch {
                            await collected.fail("user \(number): \(error)")
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        if let error = await collected.errors.first {
            throw ScenarioError(file: simulation.scenario.name, reason: "over the wire: \(error)")
        }
        var tally = CustomerServiceTally()
        for entry in await collected.turns.sorted(by: { ($0.user, $0.index) < ($1.user, $1.index) }) {
            tally.add(user: entry.user, turn: entry.turn, reply: entry.reply, latencyMs: entry.ms)
        }
        var metrics = tally.metrics
        metrics["sessions"] = Double(users.count)
        return SimulationReport(
            scenario: simulation.scenario.name + "-server", mode: .customerService, metrics: metrics,
            measurements: tally.latencyMeasurements.mapValues { $0 }, llm: LLMUsageMeter.Snapshot(), transcript: tally.transcript)
    }

    private static func converse(
        url: String, user: Int, turns: [CustomerServiceSimulation.Turn], into collected: Collected
    ) async throws {
        try await WebSocketClient.connect(url: url, logger: Logger(label: "sim-user")) { inbound, outbound, _ in
            var frames = inbound.messages(maxSize: 1 << 20).makeAsyncIterator()
            _ = try await frames.next()
            for (index, turn) in turns.enumerated() {
                let sent = ContinuousClock.now
                try await outbound.write(.text(JSONValue.object(["message": .string(turn.text)]).canonicalString))
                while case .text(let text)? = try await frames.next() {
                    let frame = try JSONValue.parse(text)
                    if frame["type"]?.stringValue == "error" { throw ScenarioError(file: "server", reason: frame["content"]?.stringValue ?? text) }
                    guard frame["type"]?.stringValue == "response" else { continue }
                    let reply = try JSONDecoder().decode(CustomerServiceReply.self, from: Data(text.utf8))
                    await collected.add(user, index, turn, reply, (ContinuousClock.now - sent).seconds * 1000)
                    break
                }
            }
            try await outbound.close(.normalClosure, reason: nil)
        }
    }
}
