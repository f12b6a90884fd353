import Foundation

/// jieba's prefix dictionary: every word with its frequency, and every prefix of a word (frequency 0).
///
/// A trie node holds the code of its word's frequency: the dictionary's few thousand distinct frequencies are kept
/// once, each with its logarithm, so a node's value fits beside its links and routes never compute a logarithm.
public struct JiebaDictionary: Sendable {
    let trie: DoubleArrayTrie
    /// Sum of all word frequencies.
    public let total: Int64
    let logTotal: Double
    /// Code c's frequency (code 0: not a word) and its natural logarithm, as `log` computes it.
    private let frequencies: [Int64]
    let logFrequencies: [Double]

    /// Whether the trie is read from a compiled file's pages rather than built in this process's memory.
    public var isMapped: Bool { trie.isMapped }
    /// Where the dictionary's compiled file is kept, and the tables derived from it (the IDF table's).
    public private(set) var tables = CompiledTables(directory: nil)
    /// SHA-256 of the dictionary's text, which names its compiled file and those of tables derived from it.
    public private(set) var sourceDigest = ""

    /// Loads a jieba `dict.txt` ("word freq [tag]" per line), from its compiled file in `tables` when there is one
    /// for these bytes, else from the text (then compiled there for the next time).
    public init(contentsOf url: URL, tables: CompiledTables = .standard) throws {
        let digest = try CompiledTables.digest(of: [url])
        self = try tables.load(
            Self.tableName, sourceDigest: digest, sections: Self.sectionCount, reading: { Self(sections: $0[...]) },
            building: { try Self(text: url) }, writing: \.sections)
        self.tables = tables
        self.sourceDigest = digest
    }

    static let tableName = "jieba-dictionary"
    static let sectionCount = DoubleArrayTrie.sectionCount + 2

    /// The dictionary as compiled sections: the trie's, then the distinct frequencies and the total.
    var sections: [[UInt8]] { trie.sections + [frequencies.tableBytes, [total].tableBytes] }

    private init?(sections: ArraySlice<TableSection>) {
        let trieSections = sections.prefix(DoubleArrayTrie.sectionCount)
        guard sections.count == Self.sectionCount, let trie = DoubleArrayTrie(sections: trieSections),
            let frequencies = sections[sections.startIndex + DoubleArrayTrie.sectionCount].copied(of: Int64.self),
            let total = sections[sections.startIndex + DoubleArrayTrie.sectionCount + 1].copied(of: Int64.self),
            total.count == 1, frequencies.first == 0
        else { return nil }
        self.trie = trie
        self.total = total[0]
        self.logTotal = log(Double(total[0]))
        self.frequencies = frequencies
        self.logFrequencies = frequencies.map { log(Double($0)) }
    }

    /// Builds the dictionary from its text.
    private init(text url: URL) throws {
        let data = try Data(contentsOf: url)
        var trie = ScalarTrie(expectedNodes: 600_000)
        var total: Int64 = 0
        var frequencies: [Int64] = [0]
        var codes: [Int64: UInt32] = [0: 0]
        var lineNumber = 0
        try DataFileLines.forEach(in: data) { number, line in
            lineNumber = number
            let fields = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count >= 2, let frequency = Int64(fields[1]) else {
                throw SegmentationDataError(file: url.path, line: number, reason: "expected 'word frequency'")
            }
            // Later lines override earlier ones, as jieba's gen_pfdict does; prefixes default to 0.
            guard let node = trie.insert(fields[0].unicodeScalars.map(\.value)) else {
                throw SegmentationDataError(
                    file: url.path, line: number, reason: "the dictionary needs more than \(ScalarTrie.capacity) trie nodes")
            }
            let code: UInt32
            if let known = codes[frequency] {
                code = known
            } else {
                code = UInt32(frequencies.count)
                codes[frequency] = code
                frequencies.append(frequency)
            }
            trie.setValue(code, at: node)
            total += frequency
        }
        guard let frozen = DoubleArrayTrie(trie) else {
            throw SegmentationDataError(
                file: url.path, line: lineNumber,
                reason: "the dictionary does not fit a double-array trie (\(DoubleArrayTrie.capacity) positions, "
                    + "\(DoubleArrayTrie.maximumValue) distinct frequencies, 65,535 distinct characters)")
        }
        self.trie = frozen
        self.total = total
        self.logTotal = log(Double(total))
        self.frequencies = frequencies
        self.logFrequencies = frequencies.map { log(Double($0)) }
    }

    /// The frequency of `word`: 0 for a prefix that is not itself a word, nil when unknown.
    public func frequency(of word: String) -> Int64? {
        let node = trie.node(for: word.unicodeScalars.map(\.value))
        return node == DoubleArrayTrie.absent ? nil : frequencies[Int(trie.value(node))]
    }
}

/// A segmentation data file that cannot be read.
public struct SegmentationDataError: Error, CustomStringConvertible, Sendable {
    public let file: String
    public let line: Int
    public let reason: String
    public var description: String { "\(file):\(line): \(reason)" }
}
