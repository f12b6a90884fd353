/// Incremental Server-Sent Events parser: feed it bytes as they arrive, get back complete event payloads.
///
/// Lines are split on raw bytes before decoding, so a multi-byte UTF-8 character or a `data:` line
/// divided between two network reads is reassembled intact.
public struct SSEParser: Sendable {
    /// One dispatched event.
    public struct Event: Sendable, Equatable {
        public var event: String?
        public var data: String
    }

    private var pending: [UInt8] = []
    private var dataLines: [String] = []
    private var eventName: String?

    public init() {}

    /// Consumes bytes and returns the events they complete.
    public mutating func feed<Bytes: Sequence>(_ bytes: Bytes) -> [Event] where Bytes.Element == UInt8 {
        pending.append(contentsOf: bytes)
        var events: [Event] = []
        var lineStart = 0
        var index = 0
        while index < pending.count {
            if pending[index] == UInt8(ascii: "\n") {
                var lineEnd = index
                if lineEnd > lineStart, pending[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
                if let event = process(line: pending[lineStart..<lineEnd]) { events.append(event) }
                lineStart = index + 1
            }
            index += 1
        }
        pending.removeFirst(lineStart)
        return events
    }

    /// Flushes a final event that was not followed by a blank line.
    public mutating func finish() -> [Event] {
        var events: [Event] = []
        if !pending.isEmpty {
            let line = pending
            pending.removeAll()
            if let event = process(line: line[...]) { events.append(event) }
        }
        if let event = dispatch() { events.append(event) }
        return events
    }

    private mutating func process(line: ArraySlice<UInt8>) -> Event? {
        if line.isEmpty { return dispatch() }
        if line.first == UInt8(ascii: ":") { return nil }  // comment / keep-alive such as ": ping"
        let text = String(decoding: line, as: UTF8.self)
        let field: Substring
        var value: Substring
        if let colon = text.firstIndex(of: ":") {
            field = text[..<colon]
            value = text[text.index(after: colon)...]
            if value.first == " " { value = value.dropFirst() }
        } else {
            field = text[...]
            value = ""
        }
        switch field {
        case "data": dataLines.append(String(value))
        case "event": eventName = String(value)
        default: break  // id, retry and unknown fields do not matter for completions
        }
        return nil
    }

    private mutating func dispatch() -> Event? {
        defer {
            dataLines.removeAll()
            eventName = nil
        }
        guard !dataLines.isEmpty else { return nil }
        return Event(event: eventName, data: dataLines.joined(separator: "\n"))
    }
}
