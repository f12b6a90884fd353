import Foundation

/// TF-IDF keyword extraction as jieba.analyse.extract_tags does it, with jieba's idf table.
public struct KeywordExtractor: Sendable {
    /// jieba's built-in keyword stop words.
    public static let jiebaStopWords: Set<String> = [
        "the", "of", "is", "and", "to", "in", "that", "we", "for", "an", "are", "by", "be", "as", "on", "with", "can",
        "if", "from", "which", "you", "it", "this", "then", "at", "have", "all", "not", "one", "has", "or",
    ]

    public let segmenter: JiebaSegmenter
    /// For each node of the segmenter's dictionary trie, 1 + the index of its IDF in `idfValues`, or 0 for nodes
    /// without one: two bytes a node instead of a 270k-entry dictionary (jieba's table holds a few thousand distinct
    /// values, so they are stored once).
    private let idfCodeByNode: TableArray<UInt16>
    private let idfValues: [Double]
    /// The IDF of the few words the dictionary does not hold.
    private let idfOutside: SortedWordTable
    private let medianIDF: Double

    /// Whether the per-node table is read from a compiled file's pages.
    public var isMapped: Bool { idfCodeByNode.isMapped }

    private static let tableName = "jieba-idf"
    private static let sectionCount = 6

    /// Loads `idf.txt` ("word idf" per line) from the jieba data directory, through its compiled file (kept beside
    /// the segmenter's dictionary's) when there is one for these bytes and this dictionary.
    public init(segmenter: JiebaSegmenter, idfFile: URL) throws {
        let tables = segmenter.dictionary.tables
        let digest = CompiledTables.digest(of: segmenter.dictionary.sourceDigest + (try CompiledTables.digest(of: [idfFile])))
        self = try tables.load(
            Self.tableName, sourceDigest: digest, sections: Self.sectionCount,
            reading: { Self(segmenter: segmenter, sections: $0) },
            building: { try Self(segmenter: segmenter, text: idfFile) }, writing: \.sections)
    }

    /// The table as compiled sections: per-node codes, distinct values, the median, the outside words' table.
    private var sections: [[UInt8]] {
        [Array(idfCodeByNode.rawBytes), idfValues.tableBytes, [medianIDF].tableBytes] + idfOutside.sections
    }

    private init?(segmenter: JiebaSegmenter, sections: [TableSection]) {
        guard sections.count == Self.sectionCount, let codes = sections[0].array(of: UInt16.self),
            codes.count == segmenter.dictionary.trie.nodeCount, let values = sections[1].copied(of: Double.self),
            let median = sections[2].copied(of: Double.self), median.count == 1,
            let outside = SortedWordTable(sections: sections[3...])
        else { return nil }
        self.segmenter = segmenter
        self.idfCodeByNode = codes
        self.idfValues = values
        self.idfOutside = outside
        self.medianIDF = median[0]
    }

    /// Builds the table from its text.
    private init(segmenter: JiebaSegmenter, text idfFile: URL) throws {
        let trie = segmenter.dictionary.trie
        var codeByNode = [UInt16](repeating: 0, count: trie.nodeCount)
        var values: [Double] = []
        var codeOfValue: [Double: UInt16] = [:]
        var outside: [String: Double] = [:]
        // Read as one String and split, not line by line from the bytes: measured, that left about 2 MB more resident
        // once loaded (reports/memory.md), the small per-line strings fragmenting the heap around the tables.
        let lines = try String(contentsOf: idfFile, encoding: .utf8)
            .split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        for (index, rawLine) in lines.enumerated() {
            let number = index + 1
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            let fields = line.split(separator: " ")
            guard fields.count == 2, let value = Double(fields[1]), value.isFinite else {
                throw SegmentationDataError(file: idfFile.path, line: number, reason: "expected 'word idf'")
            }
            let node = trie.node(for: fields[0].unicodeScalars.map(\.value))
            // Later lines override earlier ones, as a Python dict built from the file does.
            guard node != DoubleArrayTrie.absent else {
                outside[String(fields[0])] = value
                continue
            }
            if codeOfValue[value] == nil {
                guard values.count < Int(UInt16.max) else {
                    throw SegmentationDataError(file: idfFile.path, line: number,
                                                reason: "more than \(UInt16.max - 1) distinct IDF values")
                }
                values.append(value)
                codeOfValue[value] = UInt16(values.count)
            }
            codeByNode[Int(node)] = codeOfValue[value]!
        }
        self.segmenter = segmenter
        self.idfCodeByNode = TableArray(codeByNode)
        self.idfValues = values
        self.idfOutside = SortedWordTable(outside)
        let sorted = (codeByNode.lazy.filter { $0 != 0 }.map { values[Int($0) - 1] } + outside.values).sorted()
        self.medianIDF = sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }

    /// The IDF of `word`, nil when the table lacks it.
    private func idf(_ word: String) -> Double? {
        let node = segmenter.dictionary.trie.node(for: word.unicodeScalars.map(\.value))
        if node != DoubleArrayTrie.absent, case let code = idfCodeByNode[Int(node)], code != 0 { return idfValues[Int(code) - 1] }
        return idfOutside.value(of: word)
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
