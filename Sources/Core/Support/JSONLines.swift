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
}
