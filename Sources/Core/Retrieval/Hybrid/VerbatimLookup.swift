/// Finds the unit a query repeats verbatim, after folding case and width and dropping punctuation and spaces. Ranking
/// alone cannot promise this: in a small corpus a term in half the units gets no BM25 weight, and a cosine of 1 alone
/// stays under the bands' thresholds.
public struct VerbatimLookup: Sendable {
    /// Key to unit; `nil` when units of different groups share a key (the query alone cannot tell them apart).
    private var units: [String: Int?] = [:]

    public init(units: [RetrievalUnit]) {
        for (index, unit) in units.enumerated() {
            let key = Self.key(unit.text)
            guard !key.isEmpty else { continue }
            if let existing = self.units[key] {
                if let existing, units[existing].group != unit.group { self.units[key] = .some(nil) }
            } else {
                self.units[key] = index
            }
        }
    }

    /// The text folded (compatibility width, case, curly apostrophes), with only its letters, digits and marks kept.
    public static func key(_ text: String) -> String {
        var key = String.UnicodeScalarView()
        for scalar in MessageText.fold(text).unicodeScalars {
            switch scalar.properties.generalCategory {
            case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter, .decimalNumber,
                 .letterNumber, .otherNumber, .nonspacingMark, .spacingMark:
                key.append(scalar)
            default: continue
            }
        }
        return String(key)
    }

    /// The unit `query` repeats, if exactly one group has it.
    public func unit(for query: String) -> Int? {
        let key = Self.key(query)
        return key.isEmpty ? nil : units[key] ?? nil
    }
}
