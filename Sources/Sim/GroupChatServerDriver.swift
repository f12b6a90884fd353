import Foundation
import HummingbirdWSClient
import Logging
import VividCrowdCore
import VividCrowdEvaluation

/// The over-the-wire group-chat driver: each synthetic user is a real WebSocket client of `/api/chat/ws` on a running
/// vividcrowd-server started with the scenario's personas, `scenario.concurrency` users at once. The server's wall
/// clock rules here: a quiet user does not move it, and night mode or daily limits apply as the server sees them
/// (rounds its notes mark as night are counted apart, as in process).
struct GroupChatServerDriver {
    let simulation: GroupChatSimulation
    let server: String

    /// One round as the socket showed it.
    struct Round: Sendable {
        var step: GroupChatSimulation.Step
        var path: RoutingDecision.Path = .none
        var routed: [String] = []
        var notes: [String] = []
        var spoken: [String] = []
        var firstReplyMs: Double?
        var roundMs: Double = 0
    }

    actor Collected {
        var rounds: [Int: [Round]] = [:]
        func add(_ user: Int, _ rounds: [Round]) { self.rounds[user] = rounds }
    }

    func run() async throws -> SimulationReport {
        let url = WireUsers.socketURL(server, path: "/api/chat/ws")
        let cast = try simulation.cast()
        let idByName = Dictionary(cast.personas.map { ($0.name, $0.id) }, uniquingKeysWith: { first, _ in first })
        let scripts = GroupChatSimulation.population(simulation.scenario, cast: cast)
        let collected = Collected()
        try await WireUsers.run(count: scripts.count, concurrency: simulation.scenario.concurrency, scenario: simulation.scenario.name) { user in
            try await Self.converse(url: url, user: user, script: scripts[user], idByName: idByName, into: collected)
        }
        var tally = GroupChatTally()
        var (firstReplies, roundTrips): ([Double], [Double]) = ([], [])
        let rounds = await collected.rounds
        for user in rounds.keys.sorted() {
            for round in rounds[user]! {
                guard case .say(let text, let intention) = round.step else {
                    tally.quiet(user: user)
                    continue
                }
                let night = round.notes.contains { $0.hasPrefix("night mode") }
                tally.add(
                    user: user, text: text, intention: intention, path: round.path, routed: round.routed, notes: round.notes,
                    spoken: round.spoken, night: night)
                roundTrips.append(round.roundMs)
                if let first = round.firstReplyMs { firstReplies.append(first) }
            }
        }
        let measurements = SimulationReport.percentiles("round_trip", roundTrips)
            .merging(SimulationReport.percentiles("first_reply", firstReplies)) { first, _ in first }
        return SimulationReport(
            scenario: simulation.scenario.name + "-server", mode: .groupChat, metrics: tally.metrics, measurements: measurements,
            llm: LLMUsageMeter.Snapshot(), transcript: tally.transcript)
    }

    /// Plays one user's script over one connection (one room); agents are named in frames, so names map back to ids.
    private static func converse(
        url: String, user: Int, script: [GroupChatSimulation.Step], idByName: [String: String], into collected: Collected
    ) async throws {
        try await WebSocketClient.connect(url: url, logger: Logger(label: "sim-user")) { inbound, outbound, _ in
            var rounds: [Round] = []
            var frames = inbound.messages(maxSize: 1 << 20).makeAsyncIterator()
            for step in script {
                var round = Round(step: step)
                guard case .say(let text, _) = step else {
                    rounds.append(round)
                    continue
                }
                let sent = ContinuousClock.now
                try await outbound.write(.text(JSONValue.object(["message": .string(text)]).canonicalString))
                while case .text(let payload)? = try await frames.next() {
                    let frame = try JSONValue.parse(payload)
                    switch frame["type"]?.stringValue {
                    case "error":
                        throw ScenarioError(file: "server", reason: frame["content"]?.stringValue ?? payload)
                    case "stream_start":
                        let name = frame["sender"]?.stringValue ?? ""
                        guard let id = idByName[name] else {
                            throw ScenarioError(file: "server", reason: "agent \"\(name)\" is not in the scenario's personas; start the server with them (--personas)")
                        }
                        if round.firstReplyMs == nil { round.firstReplyMs = (ContinuousClock.now - sent).seconds * 1000 }
                        round.spoken.append(id)
                    case "round_end":
                        round.roundMs = (ContinuousClock.now - sent).seconds * 1000
                        round.path = frame["path"]?.stringValue.flatMap(RoutingDecision.Path.init(rawValue:)) ?? .none
                        round.routed = frame["agents"]?.arrayValue?.compactMap(\.stringValue) ?? []
                        round.notes = frame["notes"]?.arrayValue?.compactMap(\.stringValue) ?? []
                    default:
                        continue
                    }
                    if frame["type"]?.stringValue == "round_end" { break }
                }
                rounds.append(round)
            }
            await collected.add(user, rounds)
            try await outbound.close(.normalClosure, reason: nil)
        }
    }
}
