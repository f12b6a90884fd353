import Foundation

/// Why a message is handed to a human.
public enum HandoffReason: String, Sendable, Codable {
    /// The user asked for a person.
    case explicitRequest = "explicit_request"
    /// The user complained or asked for their money back.
    case dissatisfaction
}

/// A handoff decision with the phrase that triggered it.
public struct HandoffDecision: Sendable, Hashable {
    public var reason: HandoffReason
    public var trigger: String
}

/// Hard rules for human handoff: explicit requests and dissatisfaction, matched case- and width-insensitively,
/// with negation ("不要人工", "no need for a human") handled. Confidence plays no part.
public struct HandoffDetector: Sendable {
    /// A phrase and whether it must stand as a whole word (English) or may sit inside other text (Chinese).
    struct Rule: Sendable {
        var phrase: String
        var reason: HandoffReason
        var wholeWord: Bool
        /// The phrase as UTF-8, as it is searched for.
        let bytes: [UInt8]

        init(phrase: String, reason: HandoffReason, wholeWord: Bool) {
            self.phrase = phrase
            self.reason = reason
            self.wholeWord = wholeWord
            bytes = Array(phrase.utf8)
        }
    }

    let rules: [Rule]
    /// Text around which a trigger means something else ("人工智能" is AI, not a person).
    let exclusions: [String]
    /// Words that, shortly before a trigger, turn it into its opposite.
    let chineseNegators: [String]
    let englishNegators: [String]

    public init() {
        let explicitChinese = ["转人工", "人工服务", "人工客服", "人工", "真人", "客服", "找个人", "活人"]
        let explicitEnglish = [
            "human", "real person", "live person", "a person", "agent", "operator", "representative",
            "transfer me", "speak to someone", "talk to someone", "customer service",
        ]
        // "太差" alone is not here: "孩子睡眠太差了" in qa.csv is a question about sleep, not about us.
        let unhappyChinese = ["投诉", "退款", "退钱", "不满意", "差评", "太差劲", "服务太差", "态度太差", "垃圾服务", "骗子"]
        let unhappyEnglish = [
            "complaint", "complain", "unsatisfied", "dissatisfied", "terrible", "awful", "useless", "scam",
            "i want a refund", "give me a refund", "refund me", "my money back", "demand a refund",
        ]
        rules = explicitChinese.map { Rule(phrase: $0, reason: .explicitRequest, wholeWord: false) }
            + explicitEnglish.map { Rule(phrase: $0, reason: .explicitRequest, wholeWord: true) }
            + unhappyChinese.map { Rule(phrase: $0, reason: .dissatisfaction, wholeWord: false) }
            + unhappyEnglish.map { Rule(phrase: $0, reason: .dissatisfaction, wholeWord: true) }
        exclusions = ["人工智能", "人工合成", "人工色素", "客服电话"]
        chineseNegators = ["不需要", "不用", "不要", "无需", "没必要", "不必", "不想", "别", "甭", "不找", "不转"]
        englishNegators = ["no need for", "no need to", "don't need", "dont need", "do not need", "don't want",
                           "dont want", "do not want", "not", "no", "never", "without", "don't", "dont"]
    }

    /// Folds full-width forms and case so that "ＨＵＭＡＮ" and "human" match alike.
    /// The first rule the message trips, or nil.
    public func decide(_ message: String) -> HandoffDecision? {
        let text = MessageText.fold(message)
        // Phrases are found as UTF-8 bytes (a valid needle in valid UTF-8 can only match at scalar boundaries):
        // Foundation's range(of:) was 8.5% of a loaded server's CPU (perf).
        let bytes = Array(text.utf8)
        for rule in rules {
            var from = 0
            while let offset = Self.firstOffset(of: rule.bytes, in: bytes, from: from) {
                from = offset + rule.bytes.count
                let lower = text.utf8.index(text.utf8.startIndex, offsetBy: offset)
                let range = lower..<text.utf8.index(lower, offsetBy: rule.bytes.count)
                if rule.wholeWord && !isWholeWord(range, in: text) { continue }
                if isExcluded(range, in: text) || isNegated(range, in: text) { continue }
                return HandoffDecision(reason: rule.reason, trigger: rule.phrase)
            }
        }
        return nil
    }

    /// Where `needle` first occurs in `haystack` at or after `from`.
    static func firstOffset(of needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        guard let first = needle.first, haystack.count - from >= needle.count else { return nil }
        var start = from
        let last = haystack.count - needle.count
        while start <= last {
            if haystack[start] == first {
                var matched = 1
                while matched < needle.count, haystack[start + matched] == needle[matched] { matched += 1 }
                if matched == needle.count { return start }
            }
            start += 1
        }
        return nil
    }

    private func isWholeWord(_ range: Range<String.Index>, in text: String) -> Bool {
        let before = range.lowerBound == text.startIndex ? nil : text[text.index(before: range.lowerBound)]
        let after = range.upperBound == text.endIndex ? nil : text[range.upperBound]
        func isWordCharacter(_ character: Character?) -> Bool {
            guard let character else { return false }
            return character.isASCII && (character.isLetter || character.isNumber)
        }
        // "agents" and "humans" still count; "agentless" does not matter in practice.
        let plural = after == "s" && {
            let next = text.index(after: range.upperBound)
            return next == text.endIndex || !isWordCharacter(text[next])
        }()
        return !isWordCharacter(before) && (!isWordCharacter(after) || plural)
    }

    private func isExcluded(_ range: Range<String.Index>, in text: String) -> Bool {
        exclusions.contains { exclusion in
            var start = text.startIndex
            while let found = text.range(of: exclusion, range: start..<text.endIndex) {
                if found.lowerBound <= range.lowerBound && range.upperBound <= found.upperBound { return true }
                start = text.index(after: found.lowerBound)
            }
            return false
        }
    }

    /// A negator within the few characters (Chinese) or words (English) before the trigger, in the same clause.
    private func isNegated(_ range: Range<String.Index>, in text: String) -> Bool {
        let prefix = text[..<range.lowerBound]
        let clauseBreaks: Set<Character> = ["，", ",", "。", ".", "！", "!", "？", "?", "；", ";", "\n", "但"]
        let clause = prefix.reversed().prefix { !clauseBreaks.contains($0) }
        let window = String(String(clause.reversed()).suffix(8))
        if chineseNegators.contains(where: window.contains) { return true }
        let words = String(clause.reversed()).split { !($0.isLetter || $0 == "'") }.suffix(4).map(String.init)
        let tail = words.joined(separator: " ")
        return englishNegators.contains { negator in
            negator.contains(" ") ? tail.contains(negator) : words.contains(negator)
        }
    }
}
