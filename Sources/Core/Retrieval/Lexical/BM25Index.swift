import Foundation

/// Okapi BM25 over an inverted index, scoring exactly as rank_bm25 0.2.2's `BM25Okapi` (k1, b, and the epsilon
/// floor for negative IDFs), with per-posting weights precomputed so a query only sums.
public struct BM25Index: Sendable {
    public struct Parameters: Sendable, Hashable, Codable {
        public var k1: Double = 1.5
        public var b: Double = 0.75
        public var epsilon: Double = 0.25
        public var idf: IDF = .rankBM25
        public init(k1: Double = 1.5, b: Double = 0.75, epsilon: Double = 0.25, idf: IDF = .rankBM25) {
            self.k1 = k1
            self.b = b
            self.epsilon = epsilon
            self.idf = idf
        }

        /// Decodes parameters written before `idf` existed as rank_bm25's.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            k1 = try container.decode(Double.self, forKey: .k1)
            b = try container.decode(Double.self, forKey: .b)
            epsilon = try container.decode(Double.self, forKey: .epsilon)
            idf = try container.decodeIfPresent(IDF.self, forKey: .idf) ?? .rankBM25
        }
    }

    /// How a term's rarity is weighted.
    public enum IDF: String, Sendable, Hashable, Codable {
        /// rank_bm25's ln((N − n + 0.5) / (n + 0.5)), negative values floored at epsilon × the mean idf.
        case rankBM25
        /// Lucene's ln(1 + (N − n + 0.5) / (n + 0.5)), always positive: in a document of a few chunks most words
        /// sit in half of them, and rank_bm25's formula would make them worth less than a word that is absent.
        case lucene
    }

    public let parameters: Parameters
    public let documentCount: Int
    public let averageLength: Double
    private let termIDs: [String: Int32]
    /// rank_bm25's idf per term (after the epsilon floor).
    let idf: [Double]
    /// Postings in CSR form: term t's postings are postingOffsets[t]..<postingOffsets[t+1].
    let postingOffsets: [Int32]
    let postingDocuments: [Int32]
    private let postingFrequencies: [Int32]
    /// idf × tf·(k1+1) / (tf + k1·(1 − b + b·len/avglen)) per posting.
    let postingWeights: [Float]
    private let documentLengths: [Int32]
    /// The weight a term found once, in one document of average length, would have.
    private let unknownTermWeight: Float
    /// Each term's largest posting weight: the most it can add to any document's score.
    let termMaxWeights: [Float]
    /// Per-block maxima of the long postings, for block-max pruning.
    let blockTables: BlockMaxTables

    /// Indexes documents given as term lists.
    public init(documents: [[String]], parameters: Parameters = Parameters()) {
        self.parameters = parameters
        documentCount = documents.count
        var termIDs: [String: Int32] = [:]
        var documentFrequency: [Int32] = []
        var perTerm: [[(Int32, Int32)]] = []
        var totalLength = 0
        var lengths: [Int32] = []
        lengths.reserveCapacity(documents.count)
        for (document, terms) in documents.enumerated() {
            totalLength += terms.count
            lengths.append(Int32(terms.count))
            var counts: [Int32: Int32] = [:]
            for term in terms {
                let id: Int32
                if let existing = termIDs[term] {
                    id = existing
                } else {
                    id = Int32(termIDs.count)
                    termIDs[term] = id
                    documentFrequency.append(0)
                    perTerm.append([])
                }
                counts[id, default: 0] += 1
            }
            for (id, count) in counts.sorted(by: { $0.key < $1.key }) {
                documentFrequency[Int(id)] += 1
                perTerm[Int(id)].append((Int32(document), count))
            }
        }
        averageLength = documents.isEmpty ? 0 : Double(totalLength) / Double(documents.count)

        let corpusSize = Double(documents.count)
        var idf: [Double]
        switch parameters.idf {
        case .rankBM25:
            // rank_bm25: idf = ln(N − n + 0.5) − ln(n + 0.5); negative ones become epsilon × mean idf.
            idf = documentFrequency.map { log(corpusSize - Double($0) + 0.5) - log(Double($0) + 0.5) }
            let averageIDF = idf.isEmpty ? 0 : idf.reduce(0, +) / Double(idf.count)
            for index in idf.indices where idf[index] < 0 { idf[index] = parameters.epsilon * averageIDF }
            let rareIDF = log(corpusSize - 1 + 0.5) - log(1.5)
            unknownTermWeight = documents.isEmpty ? 0 : Float(rareIDF > 0 ? rareIDF : parameters.epsilon * averageIDF)
        case .lucene:
            idf = documentFrequency.map { log(1 + (corpusSize - Double($0) + 0.5) / (Double($0) + 0.5)) }
            unknownTermWeight = documents.isEmpty ? 0 : Float(log(1 + (corpusSize - 1 + 0.5) / 1.5))
        }

        var offsets: [Int32] = [0]
        var postingDocuments: [Int32] = []
        var postingFrequencies: [Int32] = []
        var weights: [Float] = []
        let averageLength = self.averageLength
        for (term, postings) in perTerm.enumerated() {
            for (document, frequency) in postings {
                postingDocuments.append(document)
                postingFrequencies.append(frequency)
                let tf = Double(frequency)
                let norm = parameters.k1 * (1 - parameters.b + parameters.b * Double(lengths[Int(document)]) / averageLength)
                weights.append(Float(idf[term] * (tf * (parameters.k1 + 1) / (tf + norm))))
            }
            offsets.append(Int32(postingDocuments.count))
        }
        self.termMaxWeights = (0..<perTerm.count).map { term in
            weights[Int(offsets[term])..<Int(offsets[term + 1])].max() ?? 0
        }
        blockTables = BlockMaxTables(documentCount: documents.count, offsets: offsets, documents: postingDocuments, weights: weights)
        self.termIDs = termIDs
        self.idf = idf
        self.postingOffsets = offsets
        self.postingDocuments = postingDocuments
        self.postingFrequencies = postingFrequencies
        self.postingWeights = weights
        self.documentLengths = lengths
    }

    /// Number of distinct terms.
    public var vocabularySize: Int { termIDs.count }

    /// Bytes of the postings a query reads: document numbers and precomputed weights.
    public var postingBytes: Int { postingDocuments.count * (MemoryLayout<Int32>.stride + MemoryLayout<Float>.stride) }

    /// Bytes of the block maxima that pruning keeps for long postings.
    public var pruningTableBytes: Int { blockTables.bytes }

    /// Every document's score in double precision, as `BM25Okapi.get_scores` computes it (a repeated query term
    /// counts again; unknown terms add nothing).
    public func scores(for query: [String]) -> [Double] {
        var scores = [Double](repeating: 0, count: documentCount)
        for term in query {
            guard let id = termIDs[term].map(Int.init) else { continue }
            for posting in Int(postingOffsets[id])..<Int(postingOffsets[id + 1]) {
                let document = Int(postingDocuments[posting])
                let tf = Double(postingFrequencies[posting])
                let norm = parameters.k1
                    * (1 - parameters.b + parameters.b * Double(documentLengths[document]) / averageLength)
                scores[document] += idf[id] * (tf * (parameters.k1 + 1) / (tf + norm))
            }
        }
        return scores
    }

    /// Every document the query touches, in no particular order, from the precomputed weights.
    public func matches(_ query: [String], scratch: inout ScoreAccumulator) -> [ScoredDocument] {
        accumulate(query, into: &scratch)
        return scratch.touched.map { ScoredDocument(document: Int($0), score: scratch.scores[Int($0)]) }
    }

    /// The `k` best documents with a positive score, best first, from the precomputed weights.
    public func search(_ query: [String], k: Int) -> [ScoredDocument] {
        var scratch = ScoreAccumulator(documentCount: documentCount)
        return search(query, k: k, scratch: &scratch)
    }

    /// As `search(_:k:)`, reusing the caller's scratch buffer so repeated queries allocate nothing per document.
    ///
    /// Queries over many postings are pruned by blocks of documents (`BlockMaxSearch`): a block is scored only when
    /// the sum of its terms' heaviest weights in it can still reach the k-th best score. The result, scores
    /// included, is exactly `exhaustiveSearch`'s: a block's scores are summed in query order as there, and a block is
    /// passed over only when its bound falls short of the k-th score by more than rounding could explain.
    public func search(_ query: [String], k: Int, scratch: inout ScoreAccumulator) -> [ScoredDocument] {
        guard k > 0 else { return [] }
        let occurrences = query.compactMap { termIDs[$0] }
        var distinct: [Int32] = []
        for id in occurrences where !distinct.contains(id) { distinct.append(id) }
        // Pruning needs non-negative weights (a bound per block); rank_bm25's floor can leave a negative idf.
        // Short postings are cheaper to add up than to prune.
        let postings = distinct.reduce(0) { $0 + Int(postingOffsets[Int($1) + 1] - postingOffsets[Int($1)]) }
        guard postings > pruningMinimumPostings, distinct.allSatisfy({ idf[Int($0)] >= 0 }) else {
            return exhaustiveSearch(query, k: k, scratch: &scratch)
        }
        return BlockMaxSearch(index: self, occurrences: occurrences, distinct: distinct, k: k).run()
    }

    /// Below this many postings over a query's terms `search` scores exhaustively: short lists are cheaper to add
    /// up than to prune (0 prunes every query, as the tests that compare both paths do).
    public var pruningMinimumPostings = BM25Index.defaultPruningMinimumPostings
    /// The default of `pruningMinimumPostings`.
    public static let defaultPruningMinimumPostings = 10_000

    /// The reference top-k: every posting of every query term accumulated, then the `k` best with a positive score.
    public func exhaustiveSearch(_ query: [String], k: Int, scratch: inout ScoreAccumulator) -> [ScoredDocument] {
        accumulate(query, into: &scratch)
        var heap = TopKHeap(capacity: k)
        scratch.scores.withUnsafeBufferPointer { scores in
            scratch.touched.withUnsafeBufferPointer { touched in
                var threshold: Float = 0
                for document in touched {
                    let score = scores[Int(document)]
                    if score > 0, score >= threshold {
                        heap.insert(Int(document), score)
                        threshold = max(heap.threshold, 0)
                    }
                }
            }
        }
        return heap.sorted()
    }

    private func accumulate(_ query: [String], into scratch: inout ScoreAccumulator) {
        scratch.begin()
        let epoch = scratch.epoch
        for term in query {
            guard let id = termIDs[term].map(Int.init) else { continue }
            let range = Int(postingOffsets[id])..<Int(postingOffsets[id + 1])
            // Raw buffers: the inner loop is the whole cost of a query, and bounds and uniqueness checks doubled it.
            postingDocuments.withUnsafeBufferPointer { documents in
                postingWeights.withUnsafeBufferPointer { weights in
                    scratch.scores.withUnsafeMutableBufferPointer { scores in
                        scratch.stamps.withUnsafeMutableBufferPointer { stamps in
                            for posting in range {
                                let document = Int(documents[posting])
                                if stamps[document] == epoch {
                                    scores[document] += weights[posting]
                                } else {
                                    stamps[document] = epoch
                                    scores[document] = weights[posting]
                                    scratch.touched.append(documents[posting])
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The largest score `query` could reach: the sum over its terms of each term's best posting weight, where a
    /// term the index has never seen counts as a term of one document would (no document can match it, so a
    /// query made mostly of unknown words cannot look like a perfect match by sharing one common word).
    public func maximumAttainableScore(for query: [String]) -> Float {
        var total: Float = 0
        for term in query {
            guard let id = termIDs[term].map(Int.init) else {
                total += unknownTermWeight
                continue
            }
            total += termMaxWeights[id]
        }
        return total
    }

}

/// Per-document score accumulators that remember which documents the current query touched: a document's score is
/// live only when its stamp equals the current epoch, so starting a query costs nothing per document.
public struct ScoreAccumulator: Sendable {
    fileprivate(set) var scores: [Float]
    fileprivate(set) var touched: [Int32] = []
    fileprivate var stamps: [UInt32]
    fileprivate private(set) var epoch: UInt32 = 0

    public init(documentCount: Int) {
        scores = [Float](repeating: 0, count: documentCount)
        stamps = [UInt32](repeating: 0, count: documentCount)
        touched.reserveCapacity(1024)
    }

    /// The current query's score of `document` (0 when the query did not touch it).
    public func score(of document: Int) -> Float { stamps[document] == epoch ? scores[document] : 0 }

    fileprivate mutating func begin() {
        touched.removeAll(keepingCapacity: true)
        if epoch == .max {
            for index in stamps.indices { stamps[index] = 0 }
            epoch = 0
        }
        epoch += 1
    }
}

extension Array where Element == Double {
    /// Scores divided by the largest one (the original VividCrowd normalisation); all zero when none is positive.
    public func normalisedByMaximum() -> [Double] {
        guard let top = self.max(), top > 0 else { return map { _ in 0 } }
        return map { $0 / top }
    }
}
