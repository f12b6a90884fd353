import Foundation

/// Writes a simplified-Chinese question in the traditional script of the document it is asked of, with the
/// characters that document itself uses: the embedding model then compares the question with passages in one
/// script. (Lexical terms need no such step: `SearchTokenizer` folds both sides to simplified.)
///
/// A simplified character can stand for several traditional ones (发: 發 or 髮); the document's own counts decide.
public struct DocumentScript: Sendable {
    /// Simplified scalar → the traditional scalar the document writes most often for it (only where they differ).
    let traditionalForms: [UInt32: UInt32]
    let folding: ChineseScriptFolding

    /// The share of a document's Chinese characters that must have a simplified form other than themselves for the
    /// document to count as traditional. In the twins dev documents, simplified ones have at most 0.09%, traditional
    /// ones 23–42%.
    public static let traditionalShare = 0.05

    /// Learns the document's script from its texts; nil when the document is not written in traditional characters.
    public init?(texts: [String], folding: ChineseScriptFolding) {
        var counts: [UInt32: [UInt32: Int]] = [:]
        var chinese = 0
        var traditional = 0
        for text in texts {
            for scalar in text.unicodeScalars where JiebaSegmenter.isHan(scalar.value) {
                let simplified = folding.fold(scalar.value)
                chinese += 1
                if simplified != scalar.value { traditional += 1 }
                counts[simplified, default: [:]][scalar.value, default: 0] += 1
            }
        }
        guard chinese > 0, Double(traditional) >= Self.traditionalShare * Double(chinese) else { return nil }
        var forms: [UInt32: UInt32] = [:]
        for (simplified, written) in counts {
            // Ties go to the smaller scalar, so the choice does not depend on dictionary order.
            let best = written.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }!.key
            if best != simplified { forms[simplified] = best }
        }
        traditionalForms = forms
        self.folding = folding
    }

    /// `question` in the document's script: unchanged when it already holds a traditional character (it is
    /// traditional, or mixed on purpose), otherwise each simplified character replaced by the document's form of it.
    public func converted(_ question: String) -> String {
        let scalars = question.unicodeScalars
        guard !scalars.contains(where: { folding.fold($0.value) != $0.value }) else { return question }
        var result = String.UnicodeScalarView()
        for scalar in scalars {
            if let form = traditionalForms[scalar.value], let replacement = Unicode.Scalar(form) {
                result.append(replacement)
            } else {
                result.append(scalar)
            }
        }
        return String(result)
    }
}
