import Foundation

/// A sparse feature vector: ascending indices and their values.
public struct SparseVector: Sendable, Equatable {
    public var indices: [Int32]
    public var values: [Float]

    public init(indices: [Int32] = [], values: [Float] = []) {
        self.indices = indices
        self.values = values
    }

    /// This vector with every index moved up by `offset` (to place it in a block of a wider vector).
    func shifted(by offset: Int32) -> SparseVector {
        SparseVector(indices: indices.map { $0 + offset }, values: values)
    }
}

/// TF-IDF over one kind of term, fitted on training texts: words (n-grams of lower-cased runs of two or more word
/// characters) or characters (n-grams within each space-padded word). Terms are 64-bit hashes, so fitting and
/// transforming allocate no strings.
public struct TFIDFVectorizer: Sendable {
    public enum Analyzer: Sendable, Hashable, Codable {
        /// Word n-grams of these lengths.
        case words(ClosedRange<Int>)
        /// Character n-grams of these lengths, within each word padded with a space on either side.
        case characters(ClosedRange<Int>)
    }

    public let analyzer: Analyzer
    /// tf is 1 + ln(count) rather than the count.
    public let sublinearTF: Bool
    /// Terms seen in fewer training texts are dropped.
    public let minimumDocumentFrequency: Int
    private(set) var vocabulary: [UInt64: Int32] = [:]
    private(set) var idf: [Float] = []

    /// How many terms the fitted vocabulary holds.
    public var dimension: Int { idf.count }

    /// Fits the vocabulary and smoothed idf, ln((1 + n) / (1 + df)) + 1, on `texts`.
    public init(fitting texts: [String], analyzer: Analyzer, sublinearTF: Bool, minimumDocumentFrequency: Int) {
        self.analyzer = analyzer
        self.sublinearTF = sublinearTF
        self.minimumDocumentFrequency = minimumDocumentFrequency
        var documentFrequency: [UInt64: Int] = [:]
        for text in texts {
            for term in Set(Self.terms(of: text, analyzer: analyzer)) { documentFrequency[term, default: 0] += 1 }
        }
        // Sorted, so the same texts always give the same indices.
        let kept = documentFrequency.filter { $0.value >= minimumDocumentFrequency }.sorted { $0.key < $1.key }
        let count = Float(texts.count)
        for (index, entry) in kept.enumerated() {
            vocabulary[entry.key] = Int32(index)
            idf.append(log((1 + count) / (1 + Float(entry.value))) + 1)
        }
    }

    /// The L2-normalised TF-IDF vector of `text` (empty when none of its terms is in the vocabulary).
    public func transform(_ text: String) -> SparseVector {
        var counts: [Int32: Float] = [:]
        for term in Self.terms(of: text, analyzer: analyzer) {
            if let index = vocabulary[term] { counts[index, default: 0] += 1 }
        }
        let sorted = counts.sorted { $0.key < $1.key }
        var values = sorted.map { index, count in (sublinearTF ? 1 + log(count) : count) * idf[Int(index)] }
        let norm = values.reduce(0) { $0 + $1 * $1 }.squareRoot()
        if norm > 0 { values = values.map { $0 / norm } }
        return SparseVector(indices: sorted.map(\.key), values: values)
    }

    /// The hashed terms of `text`, repeats kept.
    static func terms(of text: String, analyzer: Analyzer) -> [UInt64] {
        let words = self.words(of: text)
        var terms: [UInt64] = []
        switch analyzer {
        case .words(let lengths):
            for length in lengths where length <= words.count {
                for start in 0...(words.count - length) {
                    var hash = FNV.basis
                    for (offset, word) in words[start..<start + length].enumerated() {
                        if offset > 0 { hash = FNV.add(0x20, to: hash) }
                        for scalar in word { hash = FNV.add(scalar, to: hash) }
                    }
                    terms.append(FNV.add(UInt32(length), to: hash))
                }
            }
        case .characters(let lengths):
            for word in words {
                let padded = [UInt32(0x20)] + word + [0x20]
                for length in lengths where length <= padded.count {
                    for start in 0...(padded.count - length) {
                        var hash = FNV.add(0xFFFF_FFFF, to: FNV.basis)
                        for scalar in padded[start..<start + length] { hash = FNV.add(scalar, to: hash) }
                        terms.append(hash)
                    }
                }
            }
        }
        return terms
    }

    /// Lower-cased runs of word characters (letters, digits, underscore) of length two or more, as scalar values;
    /// each Han character is a word of its own, so Chinese text gives character n-grams rather than one long run.
    static func words(of text: String) -> [[UInt32]] {
        var words: [[UInt32]] = []
        var current: [UInt32] = []
        func flush() {
            if current.count >= 2 { words.append(current) }
            current.removeAll(keepingCapacity: true)
        }
        for scalar in text.lowercased().unicodeScalars {
            if JiebaSegmenter.isHan(scalar.value) {
                flush()
                words.append([scalar.value])
            } else if scalar.properties.isAlphabetic || scalar.properties.numericType != nil || scalar == "_" {
                current.append(scalar.value)
            } else {
                flush()
            }
        }
        flush()
        return words
    }
}

/// 64-bit FNV-1a: hashes that are the same on every machine and run (term features, stable splits of data).
public enum FNV {
    public static let basis: UInt64 = 0xcbf2_9ce4_8422_2325
    static let prime: UInt64 = 0x100_0000_01b3

    /// The hash of `text`'s UTF-8 bytes.
    public static func hash(_ text: String) -> UInt64 {
        var hash = basis
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* prime }
        return hash
    }

    /// `hash` extended by the four bytes of a scalar value.
    @inline(__always)
    static func add(_ value: UInt32, to hash: UInt64) -> UInt64 {
        var hash = hash
        var value = value
        for _ in 0..<4 {
            hash ^= UInt64(value & 0xFF)
            hash = hash &* prime
            value >>= 8
        }
        return hash
    }
}
