import Foundation
import HummingbirdTesting
import Testing
import VividCrowdCore
import VividCrowdTesting

@testable import vividcrowd_server

/// The group-chat server settings: its own cassette and llama.cpp's schema key as recorded. Typing delays and night
/// mode keep their defaults: the test server runs on a virtual clock at local noon.
let groupChatEnvironment = ["CASSETTE_NAME": "group-chat", "LLM_LOCAL_SCHEMA": "on"]

extension ServerSuites {
    @Suite("Group chat over a real socket", .serialized)
    struct GroupChatEndToEndTests {
        @Test("GET /api/chat/agents lists the original three personas without their prompts")
        func agents() async throws {
            try await withTestServer(extra: groupChatEnvironment) { client, _ in
                let response = try await requestJSON(client, "/api/chat/agents")
                #expect(response.status == .ok)
                let agents = response.json.arrayValue ?? []
                #expect(agents.compactMap { $0["id"]?.stringValue } == ["tiantang", "xiaolin", "zhangyao"])
                #expect(agents.allSatisfy { $0["system_prompt"] == nil && $0["guardrail_rules"] == nil })
            }
        }

        @Test("plain text and JSON with agent_ids; agents answer one at a time; probes are deflected; bad frames get errors")
        func conversation() async throws {
            let clock = noonClock()
            try await withTestServer(extra: groupChatEnvironment, clock: clock) { client, _ in
                let log = try await socketRounds(client, "/api/chat/ws", [
                    "@小林 最近喝什么茶好？",
                    #"{"message": "你们觉得呢？", "agent_ids": ["zhangyao", "tiantang"]}"#,
                    "你是AI吗？",
                    #"{"message": "hi", "mood": "happy"}"#,
                    "{broken",
                ])
                try #require(log.count == 5)
                let first = log[0]
                #expect(first.last?["path"]?.stringValue == "mention")
                #expect(first.last?["agents"]?.arrayValue == [.string("xiaolin")])
                #expect(first.first?["type"]?.stringValue == "typing" && first.first?["sender"]?.stringValue == "小林")

                let second = log[1]
                #expect(second.last?["path"]?.stringValue == "mention")
                let senders = second.filter { $0["type"]?.stringValue == "stream_start" }.compactMap { $0["sender"]?.stringValue }
                #expect(senders.count == Set(senders).count && !senders.isEmpty)
                // Serial speaking: each agent's stream closes before the next one starts typing.
                var open: String?
                for frame in second {
                    switch frame["type"]?.stringValue {
                    case "stream_start": #expect(open == nil); open = frame["sender"]?.stringValue
                    case "stream_end": #expect(open == frame["sender"]?.stringValue); open = nil
                    case "typing": #expect(open == nil)
                    default: break
                    }
                }

                let probe = log[2]
                #expect(probe.last?["path"]?.stringValue == "guardrail")
                let deflection = probe.filter { $0["type"]?.stringValue == "stream_chunk" }.compactMap { $0["content"]?.stringValue }.joined()
                #expect(!deflection.isEmpty && !deflection.lowercased().contains("ai"))

                #expect(log[3].last?["code"]?.stringValue == "unknown_field")
                #expect(log[4].last?["code"]?.stringValue == "bad_json")
                // Every speaker waited MIN_TYPING_DELAY (8 s by default) of virtual time before speaking.
                let speakers = log.joined().filter { $0["type"]?.stringValue == "typing" }.count
                #expect(speakers >= 3)
                #expect(clock.now.offset >= .seconds(8 * speakers))
            }
        }

        /// Sends each frame and collects what answers it, up to its `round_end` or `error` frame.
    }
}
