import Foundation

/// The lines of a JSON Lines text (jsonlines.org): separated by "\n" (a "\r" before it is dropped), numbered from 1,
/// blank ones left out. Other Unicode line breaks (U+2028, U+0085…) may stand inside a JSON string and split nothing.
public enum JSONLines {
    /// Each non-blank line with its 1-based number in the text.
    public static func lines(_ text: String) -> [(number: Int, line: Substring)] {
        var lines: [(number: Int, line: Substring)] = []
        // By bytes: as Characters, "\r\n" is one grapheme and would not split at "\n".
        for (index, bytes) in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            let raw = Substring(bytes)
            let line = raw.utf8.last == UInt8(ascii: "\r") ? Substring(raw.utf8.dropLast()) : raw
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            lines.append((index + 1, line))
        }
        return lines
    }

    /// Decodes every non-blank line of UTF-8 `data` as `T`; a bad line is an error naming its number.
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> [T] {
        guard let text = String(data: data, encoding: .utf8) else { throw JSONLinesError(line: 0, reason: "not UTF-8") }
        let decoder = JSONDecoder()
        return try lines(text).map { number, line in
            do {
                return try decoder.decode(T.self, from: Data(line.utf8))
            } catch {
                throw JSONLinesError(line: number, reason: "\(error)")
            }
        }
    }
}

/// A JSON Lines text that did not decode: which line, and why.
public struct JSONLinesError: Error, CustomStringConvertible, Sendable {
    public var line: Int
    public var reason: String
    public var description: String { line == 0 ? reason : "line \(line): \(reason)" }
}
