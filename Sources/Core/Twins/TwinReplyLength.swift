import Foundation

/// How long a twin's reply is, in the unit its length rule uses: Han characters when the reply is mostly Chinese,
/// words otherwise; citation markers ("[2]") do not count.
public struct TwinReplyLength: Sendable, Equatable {
    /// Han characters (Chinese) or words (any other language).
    public var count: Int
    /// Whether the reply was counted in Han characters.
    public var chinese: Bool

    public init(count: Int, chinese: Bool) {
        self.count = count
        self.chinese = chinese
    }

    /// Measures `reply`. The reply's own script decides the unit, so a Chinese twin that answered in English is
    /// held to the English rule rather than counted as zero characters.
    public init(of reply: String) {
        let text = reply.replacingOccurrences(of: #"\[\d+\]"#, with: " ", options: .regularExpression)
        var han = 0
        var words = 0
        var inWord = false
        for scalar in text.unicodeScalars {
            if JiebaSegmenter.isHan(scalar.value) {
                han += 1
                inWord = false
            } else if scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) {
                if !inWord { words += 1 }
                inWord = true
            } else if scalar != "'" && scalar != "’" && scalar != "-" {
                inWord = false
            }
        }
        self.init(count: han > words ? han : words, chinese: han > words)
    }

    /// Whether the reply keeps to the length `mode` asks for.
    public func complies(with mode: TwinReplyMode) -> Bool { mode.lengthRange(chinese: chinese).contains(count) }
}

extension TwinReplyMode {
    /// The length a reply should have: private 100–200 words (150–300 Han characters), group under 50 words
    /// (at most 80 Han characters).
    public func lengthRange(chinese: Bool) -> ClosedRange<Int> {
        switch (self, chinese) {
        case (.private, true): return 150...300
        case (.private, false): return 100...200
        case (.group, true): return 1...80
        case (.group, false): return 1...49
        }
    }
}
