import Foundation

/// Word error rate (English and other spaced scripts) or character error rate (Chinese): the edit distance between
/// what was said and what was heard, over the length of what was said.
public enum ErrorRate {
    /// The units a text is compared in: lowercased words without punctuation, or, for text with Han characters,
    /// its letters and digits one by one.
    public static func units(_ text: String) -> [String] {
        if speechLanguage(of: text) == "zh" {
            return text.unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) }.map { String($0).lowercased() }
        }
        let cleaned = String(String.UnicodeScalarView(text.lowercased().unicodeScalars.map {
            CharacterSet.alphanumerics.contains($0) || $0 == "'" ? $0 : " "
        }))
        return cleaned.split(separator: " ").map(String.init)
    }

    /// Edits (substitutions, insertions, deletions) needed to turn `heard` into `said`.
    public static func edits(said: [String], heard: [String]) -> Int {
        guard !said.isEmpty else { return heard.count }
        guard !heard.isEmpty else { return said.count }
        var previous = Array(0...heard.count)
        var current = [Int](repeating: 0, count: heard.count + 1)
        for (row, word) in said.enumerated() {
            current[0] = row + 1
            for (column, other) in heard.enumerated() {
                current[column + 1] = Swift.min(
                    previous[column] + (word == other ? 0 : 1), previous[column + 1] + 1, current[column] + 1)
            }
            swap(&previous, &current)
        }
        return previous[heard.count]
    }

    /// Edits over the length of `said` (0 is perfect; may exceed 1 when much is inserted).
    public static func rate(said: String, heard: String) -> Double {
        let reference = units(said)
        let edits = edits(said: reference, heard: units(heard))
        return reference.isEmpty ? (edits == 0 ? 0 : 1) : Double(edits) / Double(reference.count)
    }
}
