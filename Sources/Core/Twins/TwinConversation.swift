import Foundation

/// A user message to one twin (private) or several (group).
public struct TwinChatMessage: Sendable, Equatable {
    public var text: String
    public var twinIDs: [Int]
    public var mode: TwinReplyMode

    public init(text: String, twinIDs: [Int], mode: TwinReplyMode) {
        self.text = text
        self.twinIDs = twinIDs
        self.mode = mode
    }

    /// Most twins one group message may address.
    public static let maximumGroupSize = 6
}

/// A connection to the twins as a conversation: each addressed twin answers in turn (in a group after a typing
/// delay on the injected clock, as group chat does) with stream events, then a `citations` notice for its reply (the
/// passages it cites and every passage it was given);
/// a `round_end` result closes the message.
public struct TwinConversation: Conversation {
    public let library: TwinLibrary
    /// One id per connection: the history each twin remembers is this connection's.
    public let sessionID: String
    let clock: any Clock<Duration>
    let typingDelay: ClosedRange<Double>
    let date: @Sendable () -> Date
    /// Earlier messages given to the model, per twin.
    let historyLimit: Int

    public init(
        library: TwinLibrary, sessionID: String = UUID().uuidString.lowercased(), clock: any Clock<Duration> = ContinuousClock(),
        typingDelay: ClosedRange<Double> = 1...3, historyLimit: Int = 6, date: @escaping @Sendable () -> Date = Date.init
    ) {
        self.library = library
        self.sessionID = sessionID
        self.clock = clock
        self.typingDelay = typingDelay
        self.historyLimit = historyLimit
        self.date = date
    }

    /// `{"message": "...", "celebrity_ids": [1, 2], "mode": "private" | "group"}`; the mode defaults to private for one
    /// twin and group for several.
    public static func input(fromFrame text: String) throws -> TwinChatMessage {
        guard let object = (try? JSONValue.parse(text))?.objectValue else {
            throw FrameRejection(
                code: "bad_json", userMessage: "send a JSON object {\"message\": \"...\", \"celebrity_ids\": [1], \"mode\": \"private\"}")
        }
        let unknown = object.keys.filter { !["message", "celebrity_ids", "mode"].contains($0) }.sorted()
        guard unknown.isEmpty else {
            throw FrameRejection(code: "unknown_field", userMessage: "unknown field(s) \(unknown.joined(separator: ", "))")
        }
        guard let message = object["message"]?.stringValue else {
            throw FrameRejection(code: "bad_message", userMessage: "\"message\" must be a string")
        }
        guard let list = object["celebrity_ids"]?.arrayValue, !list.isEmpty else {
            throw FrameRejection(code: "bad_celebrity_ids", userMessage: "\"celebrity_ids\" must list at least one twin id")
        }
        var ids: [Int] = []
        for value in list {
            // Ids are integers; a numeric string is taken too, as forms send them.
            let number = value.doubleValue ?? value.stringValue.flatMap(Double.init)
            guard let number, number == number.rounded(), number >= 1, number <= Double(Int32.max) else {
                throw FrameRejection(code: "bad_celebrity_ids", userMessage: "\"celebrity_ids\" must be positive integer ids")
            }
            if !ids.contains(Int(number)) { ids.append(Int(number)) }
        }
        let mode: TwinReplyMode
        switch object["mode"] {
        case nil, .null?: mode = ids.count == 1 ? .private : .group
        case .string(let name)?:
            guard let parsed = TwinReplyMode(rawValue: name) else {
                throw FrameRejection(code: "bad_mode", userMessage: "\"mode\" must be \"private\" or \"group\"")
            }
            mode = parsed
        default: throw FrameRejection(code: "bad_mode", userMessage: "\"mode\" must be \"private\" or \"group\"")
        }
        guard mode == .group || ids.count == 1 else {
            throw FrameRejection(code: "bad_mode", userMessage: "a private chat is with one twin; send one id or \"mode\": \"group\"")
        }
        guard ids.count <= TwinChatMessage.maximumGroupSize else {
            throw FrameRejection(code: "bad_celebrity_ids", userMessage: "a group message may address at most \(TwinChatMessage.maximumGroupSize) twins")
        }
        return TwinChatMessage(text: try MessageText.validate(message), twinIDs: ids, mode: mode)
    }

    public func handle(_ message: TwinChatMessage, emit: @escaping @Sendable (ConversationEvent) async -> Void) async throws {
        // Every twin is looked up first, so a wrong id answers nothing rather than half a round.
        var twins: [TwinRecord] = []
        for id in message.twinIDs { twins.append(try await library.twin(id: id)) }
        var replies: [JSONValue] = []
        for twin in twins {
            if message.mode == .group {
                await emit(.typing(sender: twin.name))
                try await clock.sleep(for: .milliseconds(Int(Double.random(in: typingDelay) * 1000)))
            }
            let history = try await library.store.messages(twinID: twin.id, sessionID: sessionID, limit: historyLimit).map { line in
                line.sender == "user" ? ChatMessage.user(line.text) : ChatMessage.assistant(line.text)
            }
            await emit(.streamStart(sender: twin.name))
            let answer = try await library.answer(message.text, twin: twin, history: history, mode: message.mode) { piece in
                await emit(.streamChunk(sender: twin.name, content: piece))
            }
            await emit(.streamEnd(sender: twin.name))
            let fields: [String: JSONValue] = [
                "sender": .string(twin.name), "celebrity_id": .number(Double(twin.id)), "refused": .bool(answer.refused),
                "evidence": .number((answer.evidence * 1000).rounded() / 1000),
                "citations": try JSONValue.parse(JSONEncoder().encode(answer.citations)),
                "sources": try JSONValue.parse(JSONEncoder().encode(answer.sources)),
            ]
            await emit(.notice(ConversationFrame(type: "citations", fields: fields)))
            replies.append(.object(fields))
            let now = date()
            try await library.store.appendMessages([
                TwinMessage(twinID: twin.id, sessionID: sessionID, sender: "user", text: message.text, citations: [], createdAt: now),
                TwinMessage(twinID: twin.id, sessionID: sessionID, sender: twin.name, text: answer.text, citations: answer.citations, createdAt: now),
            ])
        }
        await emit(.result(ConversationFrame(type: "round_end", fields: [
            "mode": .string(message.mode.rawValue), "replies": .array(replies),
        ])))
    }
}
