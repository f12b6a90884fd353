/// The Porter (1980) suffix-stripping stemmer for lower-case ASCII English words, so "refunds", "refunded" and
/// "refunding" meet at "refund" in the lexical index.
public enum PorterStemmer {
    /// The stem of `word`; words with anything but a–z, or shorter than three letters, come back unchanged.
    public static func stem(_ word: String) -> String {
        let bytes = Array(word.utf8)
        guard bytes.count > 2, bytes.allSatisfy({ $0 >= 0x61 && $0 <= 0x7A }) else { return word }
        var stemmer = Word(bytes)
        stemmer.step1a()
        stemmer.step1b()
        stemmer.step1c()
        stemmer.step2()
        stemmer.step3()
        stemmer.step4()
        stemmer.step5()
        return String(decoding: stemmer.letters, as: UTF8.self)
    }

    private struct Word {
        var letters: [UInt8]

        init(_ letters: [UInt8]) { self.letters = letters }

        /// Whether letter `index` is a consonant ("y" is one after a vowel or at the start).
        func isConsonant(_ index: Int) -> Bool {
            switch letters[index] {
            case UInt8(ascii: "a"), UInt8(ascii: "e"), UInt8(ascii: "i"), UInt8(ascii: "o"), UInt8(ascii: "u"): return false
            case UInt8(ascii: "y"): return index == 0 ? true : !isConsonant(index - 1)
            default: return true
            }
        }

        /// m: the number of vowel–consonant sequences in the first `length` letters.
        func measure(_ length: Int) -> Int {
            var count = 0
            var index = 0
            while index < length, isConsonant(index) { index += 1 }
            while index < length {
                while index < length, !isConsonant(index) { index += 1 }
                guard index < length else { break }
                count += 1
                while index < length, isConsonant(index) { index += 1 }
            }
            return count
        }

        func hasVowel(_ length: Int) -> Bool { (0..<length).contains { !isConsonant($0) } }

        func endsWithDoubleConsonant(_ length: Int) -> Bool {
            length >= 2 && letters[length - 1] == letters[length - 2] && isConsonant(length - 1)
        }

        /// *o: consonant–vowel–consonant at the end, the last not w, x or y.
        func endsCVC(_ length: Int) -> Bool {
            guard length >= 3, isConsonant(length - 1), !isConsonant(length - 2), isConsonant(length - 3) else { return false }
            let last = letters[length - 1]
            return last != UInt8(ascii: "w") && last != UInt8(ascii: "x") && last != UInt8(ascii: "y")
        }

        func ends(_ suffix: String) -> Bool {
            let tail = suffix.utf8
            return letters.count >= tail.count && letters.suffix(tail.count).elementsEqual(tail)
        }

        /// Replaces `suffix` with `replacement` when the stem before it has a measure above `minimum`.
        mutating func replace(_ suffix: String, with replacement: String, whenMeasureAbove minimum: Int) -> Bool {
            guard ends(suffix) else { return false }
            let stemLength = letters.count - suffix.utf8.count
            if measure(stemLength) > minimum {
                letters.removeLast(suffix.utf8.count)
                letters += Array(replacement.utf8)
            }
            return true
        }

        mutating func step1a() {
            if ends("sses") || ends("ies") {
                letters.removeLast(2)
            } else if ends("ss") {
                return
            } else if ends("s") {
                letters.removeLast()
            }
        }

        mutating func step1b() {
            if ends("eed") {
                if measure(letters.count - 3) > 0 { letters.removeLast() }
                return
            }
            var removed = false
            for suffix in ["ed", "ing"] where ends(suffix) && hasVowel(letters.count - suffix.utf8.count) {
                letters.removeLast(suffix.utf8.count)
                removed = true
                break
            }
            guard removed else { return }
            if ends("at") || ends("bl") || ends("iz") {
                letters.append(UInt8(ascii: "e"))
            } else if endsWithDoubleConsonant(letters.count),
                !(ends("l") || ends("s") || ends("z"))
            {
                letters.removeLast()
            } else if measure(letters.count) == 1, endsCVC(letters.count) {
                letters.append(UInt8(ascii: "e"))
            }
        }

        mutating func step1c() {
            if ends("y"), hasVowel(letters.count - 1) { letters[letters.count - 1] = UInt8(ascii: "i") }
        }

        mutating func step2() {
            let rules = [
                ("ational", "ate"), ("tional", "tion"), ("enci", "ence"), ("anci", "ance"), ("izer", "ize"), ("abli", "able"),
                ("alli", "al"), ("entli", "ent"), ("eli", "e"), ("ousli", "ous"), ("ization", "ize"), ("ation", "ate"),
                ("ator", "ate"), ("alism", "al"), ("iveness", "ive"), ("fulness", "ful"), ("ousness", "ous"), ("aliti", "al"),
                ("iviti", "ive"), ("biliti", "ble"),
            ]
            for (suffix, replacement) in rules where replace(suffix, with: replacement, whenMeasureAbove: 0) { return }
        }

        mutating func step3() {
            let rules = [("icate", "ic"), ("ative", ""), ("alize", "al"), ("iciti", "ic"), ("ical", "ic"), ("ful", ""), ("ness", "")]
            for (suffix, replacement) in rules where replace(suffix, with: replacement, whenMeasureAbove: 0) { return }
        }

        mutating func step4() {
            let suffixes = [
                "al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent", "ion", "ou", "ism", "ate",
                "iti", "ous", "ive", "ize",
            ]
            for suffix in suffixes where ends(suffix) {
                let stemLength = letters.count - suffix.utf8.count
                if suffix == "ion" {
                    guard stemLength > 0, letters[stemLength - 1] == UInt8(ascii: "s") || letters[stemLength - 1] == UInt8(ascii: "t")
                    else { return }
                }
                if measure(stemLength) > 1 { letters.removeLast(suffix.utf8.count) }
                return
            }
        }

        mutating func step5() {
            if ends("e") {
                let stemLength = letters.count - 1
                let m = measure(stemLength)
                if m > 1 || (m == 1 && !endsCVC(stemLength)) { letters.removeLast() }
            }
            if measure(letters.count) > 1, endsWithDoubleConsonant(letters.count), ends("l") { letters.removeLast() }
        }
    }
}
