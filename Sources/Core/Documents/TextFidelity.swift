/// How closely extracted text follows a ground truth, ignoring whitespace: the characters of the longest common
/// subsequence over the longer of the two. 1 means identical apart from whitespace and typographic variants.
public enum TextFidelity {
    public static func accuracy(extracted: String, truth: String) -> Double {
        let a = comparable(extracted)
        let b = comparable(truth)
        guard max(a.count, b.count) > 0 else { return 1 }
        // Myers' diff (what CollectionDifference uses) is fast when the texts mostly agree, as they should here.
        let removed = b.difference(from: a).removals.count
        return Double(a.count - removed) / Double(max(a.count, b.count))
    }

    /// Zero-width space, joiners and the byte-order mark, which typesetting adds or drops at will.
    static let zeroWidth: Set<UInt32> = [0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF]

    /// Glyph choices of the typesetter that stand for the same character: CJK fonts set "……" (U+2026) as the
    /// centred "⋯⋯" (U+22EF), and the PDF then holds U+22EF.
    static let variants: [UInt32: Unicode.Scalar] = [0x22EF: "\u{2026}"]

    /// The text without whitespace or zero-width characters, typographic variants folded: what "the same text,
    /// whitespace-insensitive" compares.
    public static func comparableText(_ text: String) -> String {
        var result = String.UnicodeScalarView()
        result.append(contentsOf: comparable(text))
        return String(result)
    }

    static func comparable(_ text: String) -> [Unicode.Scalar] {
        text.unicodeScalars.compactMap { scalar in
            if scalar.properties.isWhitespace || zeroWidth.contains(scalar.value) { return nil }
            return variants[scalar.value] ?? scalar
        }
    }
}
