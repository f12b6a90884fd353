import Foundation
import HummingbirdWSClient
import Logging
import VividCrowdCore
import VividCrowdEvaluation

/// The over-the-wire driver: each synthetic customer is a real WebSocket client of a running vividcrowd-server,
/// `scenario.concurrency` of them at once. The server must hold the scenario's knowledge base, and its cassettes (or a
/// live model) must cover the users' questions.
struct CustomerServiceServerDriver {
    let simulation: CustomerServiceSimulation
    let server: String

    actor Collected {
        var turns: [(user: Int, index: Int, turn: CustomerServiceSimulation.Turn, reply: CustomerServiceReply, ms: Double)] = []
        func add(_ user: Int, _ index: Int, _ turn: CustomerServiceSimulation.Turn, _ reply: CustomerServiceReply, _ ms: Double) {
            turns.append((user, index, turn, reply, ms))
        }
    }

    func run() async throws -> SimulationReport {
        let url = WireUsers.socketURL(server, path: "/api/customer-service/ws")
        let users = try simulation.users()
        let collected = Collected()
        try await WireUsers.run(count: users.count, concurrency: simulation.scenario.concurrency, scenario: simulation.scenario.name) { number in
            try await Self.converse(url: url, user: number, turns: users[number].turns, into: collected)
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
