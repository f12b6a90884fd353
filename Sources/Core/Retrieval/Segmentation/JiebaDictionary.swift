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

    /// Loads a jieba `dict.txt` ("word freq [tag]" per line).
    public init(contentsOf url: URL) throws {
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
