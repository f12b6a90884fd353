import Foundation

/// Text rules every mode shares: what a user may send, how text is folded before matching, and whether it is Chinese.
public enum MessageText {
    /// Longest accepted message, in characters.
    public static let maximumCharacters = 2_000

    /// The validated message of a client frame that is exactly `{"message": "<text>"}`, or a `FrameRejection`.
    public static func fromMessageFrame(_ text: String) throws -> String {
        guard let json = try? JSONValue.parse(text), let object = json.objectValue else {
            throw FrameRejection(code: "bad_json", userMessage: "expected a JSON object {\"message\": \"...\"}")
        }
        let unknown = object.keys.filter { $0 != "message" }.sorted()
        guard unknown.isEmpty else {
            throw FrameRejection(
                code: "unknown_field", userMessage: "unknown field(s) \(unknown.joined(separator: ", ")); send {\"message\": \"...\"}")
        }
        guard let message = object["message"]?.stringValue else {
            throw FrameRejection(code: "bad_message", userMessage: "\"message\" must be a string")
        }
        return try validate(message)
    }

    /// The message trimmed, when it is neither empty nor over `maximumCharacters`.
    public static func validate(_ message: String) throws -> String {
        let trimmed = message.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw MessageError.empty }
        guard trimmed.count <= maximumCharacters else {
            throw MessageError.tooLong(trimmed.count, limit: maximumCharacters)
        }
        return trimmed
    }

    /// Width- and case-folded (NFKC, lower case, curly apostrophes straightened), for rule and pattern matching.
    public static func fold(_ text: String) -> String {
        text.precomposedStringWithCompatibilityMapping.lowercased()
            .replacingOccurrences(of: "’", with: "'")
    }

    /// Whether a text is written in Chinese (any CJK ideograph), which picks the language of fixed texts and prompts.
    public static func isChinese(_ text: String) -> Bool {
        text.unicodeScalars.contains { (0x4E00...0x9FFF).contains($0.value) || (0x3400...0x4DBF).contains($0.value) }
    }
}

/// A user message that cannot be taken.
public enum MessageError: Error, Equatable, CustomStringConvertible, Sendable, ConversationFailure {
    case empty
    case tooLong(Int, limit: Int)

    public var description: String {
        switch self {
        case .empty: return "the message is empty"
        case .tooLong(let length, let limit): return "the message has \(length) characters; the limit is \(limit)"
        }
    }

    public var code: String {
        switch self {
        case .empty: return "empty_message"
        case .tooLong: return "message_too_long"
        }
    }

    public var userMessage: String { description }
}
