/// Redacts a text that arrives in pieces, so a secret split across two pieces is caught: the trailing run of
/// characters a key could continue with (and a little context before it) is held back, unredacted, until the next
/// piece or the end shows where it stops; only text before it is redacted and passed on.
public struct StreamRedactor: Sendable {
    private let redactor: Redactor
    private var pending = ""
    /// A held-back run longer than this is let through: no key is that long, and a reply must keep flowing.
    static let longestHeldRun = 512

    public init(_ redactor: Redactor) { self.redactor = redactor }

    /// Characters before a held key that are held with it: room for a "Bearer " or an "api_key": prefix, which the
    /// redactor needs to see together with the key.
    static let heldContext = 32

    /// The part of the text so far that is safe to pass on, redacted.
    public mutating func feed(_ piece: String) -> String {
        let text = pending + piece
        let run = text.reversed().prefix { Self.continuesKey($0) }.count
        guard run > 0, run <= Self.longestHeldRun else {
            pending = ""
            return redactor.redact(text)
        }
        var split = text.index(text.endIndex, offsetBy: -min(text.count, run + Self.heldContext))
        // Never cut through a key-shaped word: the part passed on must hold whole words only.
        while split > text.startIndex, Self.continuesKey(text[text.index(before: split)]) {
            split = text.index(before: split)
        }
        guard text.distance(from: split, to: text.endIndex) <= Self.longestHeldRun + Self.heldContext else {
            pending = ""
            return redactor.redact(text)
        }
        pending = String(text[split...])
        return redactor.redact(String(text[..<split]))
    }

    /// Whatever was held back, redacted.
    public mutating func finish() -> String {
        defer { pending = "" }
        return redactor.redact(pending)
    }

    /// Characters API keys and bearer tokens are made of.
    static func continuesKey(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || "._~+/=-".contains(character))
    }

    /// `pieces` redacted as one text, redistributed over the same number of pieces (a piece may come out shorter or
    /// empty where a secret was held back or removed); unchanged when there is nothing to redact.
    public static func redact(_ pieces: [String], with redactor: Redactor) -> [String] {
        let whole = pieces.joined()
        guard redactor.redact(whole) != whole else { return pieces }
        var stream = StreamRedactor(redactor)
        var result = pieces.map { stream.feed($0) }
        if !result.isEmpty { result[result.count - 1] += stream.finish() }
        return result
    }
}
