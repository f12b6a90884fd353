import Foundation

/// TF-IDF keyword extraction as jieba.analyse.extract_tags does it, with jieba's idf table.
public struct KeywordExtractor: Sendable {
    /// jieba's built-in keyword stop words.
    public static let jiebaStopWords: Set<String> = [
        "the", "of", "is", "and", "to", "in", "that", "we", "for", "an", "are", "by", "be", "as", "on", "with", "can",
        "if", "from", "which", "you", "it", "this", "then", "at", "have", "all", "not", "one", "has", "or",
    ]

    public let segmenter: JiebaSegmenter
    /// IDF by the node of the segmenter's dictionary trie (NaN for nodes without one): one flat array instead of a
    /// 270k-entry dictionary (one Double per node, and no per-word allocations).
    private let idfByNode: [Double]
    /// The IDF of the few words the dictionary does not hold.
    private let idfOutside: [String: Double]
    private let medianIDF: Double

    /// Loads `idf.txt` ("word idf" per line) from the jieba data directory.
    public init(segmenter: JiebaSegmenter, idfFile: URL) throws {
        let trie = segmenter.dictionary.trie
        var byNode = [Double](repeating: .nan, count: trie.nodeCount)
        var outside: [String: Double] = [:]
        for (number, line) in try String(contentsOf: idfFile, encoding: .utf8).split(whereSeparator: \.isNewline)
            .enumerated()
        {
            let fields = line.trimmingCharacters(in: .whitespaces).split(separator: " ")
            guard fields.count == 2, let value = Double(fields[1]) else {
                throw SegmentationDataError(file: idfFile.path, line: number + 1, reason: "expected 'word idf'")
            }
            let node = trie.node(for: fields[0].unicodeScalars.map(\.value))
            // Later lines override earlier ones, as a Python dict built from the file does.
            if node != DoubleArrayTrie.absent { byNode[Int(node)] = value } else { outside[String(fields[0])] = value }
        }
        self.segmenter = segmenter
        self.idfByNode = byNode
        self.idfOutside = outside
        let sorted = (byNode.filter { !$0.isNaN } + outside.values).sorted()
        self.medianIDF = sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }

    /// The IDF of `word`, nil when the table lacks it.
    private func idf(_ word: String) -> Double? {
        let node = segmenter.dictionary.trie.node(for: word.unicodeScalars.map(\.value))
        if node != DoubleArrayTrie.absent, !idfByNode[Int(node)].isNaN { return idfByNode[Int(node)] }
        return idfOutside[word]
    }

    /// The `limit` words of `text` with the highest TF-IDF, best first (ties in order of first appearance).
    public func keywords(_ text: String, limit: Int = 20) -> [String] {
        var counts: [String: Double] = [:]
        var order: [String] = []
        for word in segmenter.cut(text) {
            let stripped = word.unicodeScalars.drop(while: Self.isPythonWhitespace).reversed()
                .drop(while: Self.isPythonWhitespace)
            if stripped.count < 2 || Self.jiebaStopWords.contains(word.lowercased()) { continue }
            if counts[word] == nil { order.append(word) }
            counts[word, default: 0] += 1
        }
        let total = counts.values.reduce(0, +)
        let weighted = order.enumerated().map { position, word in
            (word, counts[word]! * (idf(word) ?? medianIDF) / total, position)
        }
        return weighted.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.2 < $1.2 }.prefix(limit).map(\.0)
    }

    /// Python's str.isspace: Unicode White_Space plus the ASCII separators U+001C–U+001F.
    static func isPythonWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isWhitespace || (0x1C...0x1F).contains(scalar.value)
    }
}
