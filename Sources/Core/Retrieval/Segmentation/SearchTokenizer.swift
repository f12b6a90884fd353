import Foundation

/// Turns text into retrieval terms: width-folded (NFKC) and lower-cased, Chinese runs segmented by jieba,
/// other scripts split into Unicode words, punctuation and stop words dropped, English words Porter-stemmed.
/// Mixed text works.
public struct SearchTokenizer: Sendable {
    /// Function words that carry no topic, in English and Chinese.
    public static let defaultStopWords: Set<String> = [
        "a", "an", "the", "and", "or", "but", "if", "of", "to", "in", "on", "at", "by", "for", "with", "from", "as",
        "is", "am", "are", "was", "were", "be", "been", "being", "it", "its", "this", "that", "these", "those", "i",
        "me", "my", "we", "our", "you", "your", "he", "she", "they", "them", "his", "her", "their", "do", "does",
        "did", "so", "than", "too", "very", "can", "will", "just", "s", "t", "there", "here", "what", "which", "who",
        "whom", "into", "about", "please", "would", "could", "should", "have", "has", "had", "im", "ive", "not",
        "的", "了", "是", "在", "和", "也", "就", "都", "而", "及", "与", "着", "或", "吗", "呢", "吧", "啊", "呀", "嘛",
        "哦", "啦", "么", "之", "其", "这", "那", "我", "你", "他", "她", "它", "我们", "你们", "他们", "请问", "一下",
    ]

    public let segmenter: JiebaSegmenter
    public let stopWords: Set<String>

    /// Whether text also yields bigrams: every pair of adjacent Chinese characters, beside jieba's words, and every
    /// pair of adjacent words (stop words skipped) within a phrase, beside the words. Passages are long enough for
    /// bigrams to pay: character pairs match words jieba's dictionary cuts differently (traditional characters,
    /// names), word pairs reward a passage that holds the question's phrases over one that scatters its words, and
    /// a question that shares no bigram with a document is rarely answered by it.
    public let addsBigrams: Bool

    /// Marks bigram terms, so a bigram never counts as the jieba word of the same two characters (punctuation never
    /// reaches a term, so "#" cannot start a word).
    static let bigramMark = "#"

    /// Folds traditional Chinese to simplified before segmenting, when set.
    public let scriptFolding: ChineseScriptFolding?

    public init(
        segmenter: JiebaSegmenter, stopWords: Set<String> = SearchTokenizer.defaultStopWords, addsBigrams: Bool = false,
        scriptFolding: ChineseScriptFolding? = nil
    ) {
        self.segmenter = segmenter
        self.stopWords = stopWords
        self.addsBigrams = addsBigrams
        self.scriptFolding = scriptFolding
    }

    /// The same tokenizer, adding or leaving out bigrams.
    public func addingBigrams(_ adds: Bool = true) -> SearchTokenizer {
        SearchTokenizer(segmenter: segmenter, stopWords: stopWords, addsBigrams: adds, scriptFolding: scriptFolding)
    }

    /// The same tokenizer, folding traditional Chinese to simplified with `folding`.
    public func folding(_ folding: ChineseScriptFolding?) -> SearchTokenizer {
        SearchTokenizer(segmenter: segmenter, stopWords: stopWords, addsBigrams: addsBigrams, scriptFolding: folding)
    }

    /// The retrieval terms of `text`, in order, repeats kept (BM25 counts them).
    public func terms(_ text: String) -> [String] {
        var scalars = text.precomposedStringWithCompatibilityMapping.lowercased().unicodeScalars.map(\.value)
        if let scriptFolding {
            for index in scalars.indices where scalars[index] >= 0x3400 { scalars[index] = scriptFolding.fold(scalars[index]) }
        }
        var terms: [String] = []
        var index = 0
        // The last word of the current phrase, for word bigrams; punctuation and Chinese end a phrase.
        var previousWord: String?
        while index < scalars.count {
            let scalar = scalars[index]
            if JiebaSegmenter.isHan(scalar) {
                var end = index + 1
                while end < scalars.count, JiebaSegmenter.isHan(scalars[end]) { end += 1 }
                for range in segmenter.cutRanges(Array(scalars[index..<end])) {
                    let word = JiebaSegmenter.string(scalars[index + range.lowerBound..<index + range.upperBound])
                    if !stopWords.contains(word) { terms.append(word) }
                }
                previousWord = nil
                if addsBigrams, end - index >= 2 {
                    for start in index..<(end - 1) { terms.append(Self.bigramMark + JiebaSegmenter.string(scalars[start..<start + 2])) }
                }
                index = end
            } else if Self.isWordScalar(scalar) {
                var end = index + 1
                while end < scalars.count {
                    if Self.isWordScalar(scalars[end]), !JiebaSegmenter.isHan(scalars[end]) {
                        end += 1
                    } else if scalars[end] == 0x2E, end + 1 < scalars.count, Self.isDigit(scalars[end - 1]),
                        Self.isDigit(scalars[end + 1])
                    {
                        end += 1  // keep decimals such as 8.5 whole
                    } else {
                        break
                    }
                }
                let word = JiebaSegmenter.string(scalars[index..<end])
                if !stopWords.contains(word) {
                    let stem = PorterStemmer.stem(word)
                    terms.append(stem)
                    if addsBigrams, let previousWord { terms.append(Self.bigramMark + previousWord + " " + stem) }
                    previousWord = stem
                }
                index = end
            } else {
                if !Self.isSpace(scalar) { previousWord = nil }
                index += 1
            }
        }
        return terms
    }

    @inline(__always)
    static func isWordScalar(_ value: UInt32) -> Bool {
        if value < 0x80 {
            return (value >= 0x30 && value <= 0x39) || (value >= 0x61 && value <= 0x7A) || (value >= 0x41 && value <= 0x5A)
        }
        guard let scalar = Unicode.Scalar(value) else { return false }
        return scalar.properties.isAlphabetic || scalar.properties.numericType != nil
    }

    @inline(__always)
    static func isSpace(_ value: UInt32) -> Bool { value == 0x20 || value == 0x09 || value == 0x0A || value == 0x0D || value == 0xA0 || value == 0x3000 }

    @inline(__always)
    static func isDigit(_ value: UInt32) -> Bool { value >= 0x30 && value <= 0x39 }
}
