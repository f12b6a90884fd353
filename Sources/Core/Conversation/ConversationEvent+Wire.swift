import Foundation

extension ConversationEvent {
    /// The event as the JSON frame every socket sends (`type`, `sender`, `content`, or a frame's own fields).
    public var wireFrame: JSONValue {
        switch self {
        case .typing(let sender): return ["type": "typing", "sender": .string(sender), "content": ""]
        case .streamStart(let sender): return ["type": "stream_start", "sender": .string(sender), "content": ""]
        case .streamChunk(let sender, let content):
            return ["type": "stream_chunk", "sender": .string(sender), "content": .string(content)]
        case .streamEnd(let sender): return ["type": "stream_end", "sender": .string(sender), "content": ""]
        case .notice(let frame), .result(let frame):
            return .object(frame.fields.merging(["type": .string(frame.type)]) { _, type in type })
        case .failure(let code, let message):
            return ["type": "error", "code": .string(code), "content": .string(message)]
        }
    }

    /// The event a wire frame came from (a frame relayed from another instance); nil for what is not a frame.
    /// Results and notices read back as notices: they are sent alike.
    public init?(wireFrame: JSONValue) {
        guard var fields = wireFrame.objectValue, let type = fields.removeValue(forKey: "type")?.stringValue else { return nil }
        let sender = fields["sender"]?.stringValue
        switch type {
        case "typing" where sender != nil: self = .typing(sender: sender!)
        case "stream_start" where sender != nil: self = .streamStart(sender: sender!)
        case "stream_end" where sender != nil: self = .streamEnd(sender: sender!)
        case "stream_chunk" where sender != nil:
            self = .streamChunk(sender: sender!, content: fields["content"]?.stringValue ?? "")
        case "error":
            self = .failure(code: fields["code"]?.stringValue ?? "error", message: fields["content"]?.stringValue ?? "")
        default: self = .notice(ConversationFrame(type: type, fields: fields))
        }
    }
}
