import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import VividCrowdCore

/// `WS /api/chat/ws`: plain text (as the original) or `{"message": "...", "agent_ids": [...]}`; the agents answer
/// with `typing`, then `stream_start` / `stream_chunk` / `stream_end` frames each, one agent at a time, and a
/// `round_end` frame says which path routed the message. `?room=NAME` joins a named room's shared history.
enum GroupChatSocket {
    static func add(to router: Router<BasicWebSocketRequestContext>, chat: GroupChatService) {
        router.ws("/api/chat/ws") { inbound, outbound, context in
            let roomName = context.request.uri.queryParameters["room"].map(String.init)
            let room: GroupChatRoom
            do {
                room = try await chat.room(named: roomName)
            } catch {
                try await CustomerServiceSocket.send(outbound, CustomerServiceSocket.errorFrame("unavailable", "\(error)"))
                return
            }
            try await SerialMessages.process(inbound, maxSize: CustomerServiceSocket.maximumFrameBytes) { message in
                guard case .text(let text) = message else {
                    try await CustomerServiceSocket.send(outbound, CustomerServiceSocket.errorFrame("bad_frame", "send text frames"))
                    return
                }
                let parsed: (message: String, agents: [String])
                switch parse(text) {
                case .success(let value): parsed = value
                case .failure(let rejection):
                    try await CustomerServiceSocket.send(outbound, CustomerServiceSocket.errorFrame(rejection.code, rejection.description))
                    return
                }
                do {
                    let (decision, _) = try await room.send(parsed.message, agentIDs: parsed.agents) { event in
                        try? await CustomerServiceSocket.send(outbound, frame(event))
                    }
                    try await CustomerServiceSocket.send(outbound, [
                        "type": "round_end", "path": .string(decision.path.rawValue),
                        "agents": .array(decision.agents.map(JSONValue.string)),
                        "notes": .array(decision.notes.map(JSONValue.string)),
                    ])
                } catch {
                    context.logger.error("group-chat round failed", metadata: ["error": "\(error)"])
                    try await CustomerServiceSocket.send(outbound, CustomerServiceSocket.errorFrame("round_failed", "\(error)"))
                }
            }
        }
    }

    static func frame(_ event: GroupChatEvent) -> JSONValue {
        switch event {
        case .typing(let sender): return ["type": "typing", "sender": .string(sender), "content": ""]
        case .streamStart(let sender): return ["type": "stream_start", "sender": .string(sender), "content": ""]
        case .streamChunk(let sender, let content): return ["type": "stream_chunk", "sender": .string(sender), "content": .string(content)]
        case .streamEnd(let sender): return ["type": "stream_end", "sender": .string(sender), "content": ""]
        }
    }

    /// Plain text is the message itself; a JSON object must be `{"message": "...", "agent_ids": [...]}`.
    static func parse(_ text: String) -> Result<(message: String, agents: [String]), CustomerServiceSocket.Rejection> {
        typealias Rejection = CustomerServiceSocket.Rejection
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        var message = text
        var agents: [String] = []
        if trimmed.hasPrefix("{") {
            guard let object = (try? JSONValue.parse(trimmed))?.objectValue else {
                return .failure(Rejection(code: "bad_json", description: "a frame starting with { must be a JSON object {\"message\": \"...\"}"))
            }
            let unknown = object.keys.filter { !["message", "agent_ids"].contains($0) }.sorted()
            guard unknown.isEmpty else {
                return .failure(Rejection(code: "unknown_field", description: "unknown field(s) \(unknown.joined(separator: ", "))"))
            }
            guard let text = object["message"]?.stringValue else {
                return .failure(Rejection(code: "bad_message", description: "\"message\" must be a string"))
            }
            message = text
            if let ids = object["agent_ids"], ids != .null {
                guard let list = ids.arrayValue, list.allSatisfy({ $0.stringValue != nil }) else {
                    return .failure(Rejection(code: "bad_agent_ids", description: "\"agent_ids\" must be a list of agent ids"))
                }
                agents = list.compactMap(\.stringValue)
            }
        }
        do {
            return .success((try CustomerServiceDesk.validate(message), agents))
        } catch let error as CustomerServiceError {
            return .failure(Rejection(code: error.code, description: error.description))
        } catch {
            return .failure(Rejection(code: "bad_message", description: "\(error)"))
        }
    }
}
