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
    fileprivate let idf: [Double]
    /// Postings in CSR form: term t's postings are postingOffsets[t]..<postingOffsets[t+1].
    fileprivate let postingOffsets: [Int32]
    fileprivate let postingDocuments: [Int32]
    private let postingFrequencies: [Int32]
    /// idf × tf·(k1+1) / (tf + k1·(1 − b + b·len/avglen)) per posting.
    fileprivate let postingWeights: [Float]
    private let documentLengths: [Int32]
    /// The weight a term found once, in one document of average length, would have.
    private let unknownTermWeight: Float
    /// Each term's largest posting weight: the most it can add to any document's score (MaxScore's upper bound).
    fileprivate let termMaxWeights: [Float]
    /// For terms with long postings, the documents where they weigh most (ascending; CSR like the postings): scored
    /// first, they give pruning a high k-th score from the start instead of one that climbs as documents go by.
    fileprivate let championOffsets: [Int32]
    fileprivate let champions: [Int32]
    /// Postings from which a term keeps champions, and how many.
    static let championMinimumPostings = 1024
    static let championCount = 16

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
        var championOffsets: [Int32] = [0]
        var champions: [Int32] = []
        for term in 0..<perTerm.count {
            let range = Int(offsets[term])..<Int(offsets[term + 1])
            if range.count >= Self.championMinimumPostings {
                // The heaviest few, lightest first, by one pass with a small sorted buffer.
                var heaviest: [(weight: Float, document: Int32)] = []
                for posting in range where heaviest.count < Self.championCount || weights[posting] > heaviest[0].weight {
                    let entry = (weight: weights[posting], document: postingDocuments[posting])
                    let at = heaviest.firstIndex { $0.weight >= entry.weight } ?? heaviest.count
                    heaviest.insert(entry, at: at)
                    if heaviest.count > Self.championCount { heaviest.removeFirst() }
                }
                champions += heaviest.map(\.document).sorted()
            }
            championOffsets.append(Int32(champions.count))
        }
        self.championOffsets = championOffsets
        self.champions = champions
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
    /// Dynamic pruning (MaxScore): query terms are ordered by the most each can add; once the k-th best score is
    /// above what the weakest terms could reach together, documents holding only those terms are never scored, and
    /// those terms' postings are only probed for documents that could still enter the top k. The result, scores
    /// included, is exactly `exhaustiveSearch`'s: scores are summed in query order as there, and a document is
    /// passed over only when its bound falls short of the k-th score by more than rounding could explain.
    public func search(_ query: [String], k: Int, scratch: inout ScoreAccumulator) -> [ScoredDocument] {
        guard k > 0 else { return [] }
        let occurrences = query.compactMap { termIDs[$0] }
        var distinct: [Int32] = []
        for id in occurrences where !distinct.contains(id) { distinct.append(id) }
        // Pruning needs non-negative weights (an upper bound per term); rank_bm25's floor can leave a negative idf.
        // Short postings are cheaper to add up than to prune.
        let postings = distinct.reduce(0) { $0 + Int(postingOffsets[Int($1) + 1] - postingOffsets[Int($1)]) }
        guard postings > pruningMinimumPostings, distinct.allSatisfy({ idf[Int($0)] >= 0 }) else {
            return exhaustiveSearch(query, k: k, scratch: &scratch)
        }
        return MaxScoreSearch(index: self, occurrences: occurrences, distinct: distinct, k: k).run()
    }

    /// Below this many postings over a query's terms `search` scores exhaustively: short lists are cheaper to add
    /// up than to prune (0 prunes every query, as the tests that compare both paths do).
    public var pruningMinimumPostings = BM25Index.defaultPruningMinimumPostings
    /// The default of `pruningMinimumPostings`.
    public static let defaultPruningMinimumPostings = 100_000

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

    /// Document-at-a-time MaxScore over the postings of a query's distinct terms.
    private struct MaxScoreSearch {
        let index: BM25Index
        /// The query's known terms in query order, repeats included (the order scores are summed in).
        let occurrences: [Int32]
        /// Distinct terms, weakest bound first.
        let terms: [Int]
        /// How many times each term occurs in the query.
        let repeats: [Double]
        /// bounds[i]: the most term i can add; cumulative[i]: bounds[0] + … + bounds[i].
        let bounds: [Double]
        let cumulative: [Double]
        let k: Int

        init(index: BM25Index, occurrences: [Int32], distinct: [Int32], k: Int) {
            self.index = index
            self.occurrences = occurrences
            self.k = k
            // A term's bound counts its repeats in the query.
            let ordered = distinct.map { id in
                let repeats = Double(occurrences.reduce(0) { $0 + ($1 == id ? 1 : 0) })
                return (term: Int(id), repeats: repeats, bound: Double(index.termMaxWeights[Int(id)]) * repeats)
            }.sorted { $0.bound < $1.bound }
            terms = ordered.map(\.term)
            repeats = ordered.map(\.repeats)
            bounds = ordered.map(\.bound)
            var total = 0.0
            cumulative = bounds.map { total += $0; return total }
        }

        /// Relative slack on every bound, far above the rounding of a few dozen float additions.
        private static let slack = 1e-5

        /// A list at most this fraction of the longest is short: its documents are scored exactly up front.
        private static let shortFraction = 32

        /// Two phases. A rare term beside a common one keeps both lists essential until the rare list ends, so
        /// MaxScore alone would walk the common list candidate by candidate; instead every document of the short
        /// lists, and the long lists' champions, are scored exactly first (probing the others), and MaxScore then
        /// runs over the long lists alone, whose bounds are tight for documents without the rare terms, starting
        /// from the k-th score the champions set and passing over the documents already scored.
        func run() -> [ScoredDocument] {
            index.postingDocuments.withUnsafeBufferPointer { documents in
                index.postingWeights.withUnsafeBufferPointer { weights in
                    let lengths = terms.map { Int(index.postingOffsets[$0 + 1] - index.postingOffsets[$0]) }
                    let limit = (lengths.max() ?? 0) / Self.shortFraction
                    var heap = TopKHeap(capacity: k)
                    var scored: [Int32] = []
                    for i in terms.indices {
                        if lengths[i] <= limit {
                            let start = Int(index.postingOffsets[terms[i]])
                            scored += documents[start..<(start + lengths[i])]
                        } else {
                            scored += index.champions[Int(index.championOffsets[terms[i]])..<Int(index.championOffsets[terms[i] + 1])]
                        }
                    }
                    scored.sort()
                    scored = scored.enumerated().filter { $0.offset == 0 || scored[$0.offset - 1] != $0.element }.map(\.element)
                    scoreExactly(scored, documents: documents, weights: weights, heap: &heap)
                    let long = Set(terms.indices.filter { lengths[$0] > limit }.map { Int32(terms[$0]) })
                    // Documents reached in the second phase hold none of the short terms, whose occurrences then add
                    // nothing: summing the long terms' occurrences in query order gives exactly the same float.
                    let rest = MaxScoreSearch(index: index, occurrences: occurrences.filter(long.contains),
                                              distinct: terms.filter { long.contains(Int32($0)) }.map(Int32.init), k: k)
                    return rest.maxScore(documents: documents, weights: weights, heap: &heap, scored: scored)
                }
            }
        }

        /// Scores each of `candidates` (ascending) over every query term and offers it to the heap.
        private func scoreExactly(
            _ candidates: [Int32], documents: UnsafeBufferPointer<Int32>, weights: UnsafeBufferPointer<Float>,
            heap: inout TopKHeap
        ) {
            var cursors = terms.map { Int(index.postingOffsets[$0]) }
            let ends = terms.map { Int(index.postingOffsets[$0 + 1]) }
            var contribution = [Float](repeating: 0, count: terms.count)
            var matched = [Bool](repeating: false, count: terms.count)
            let slots = occurrences.map { id in terms.firstIndex(of: Int(id))! }
            for candidate in candidates {
                for i in terms.indices {
                    cursors[i] = Self.advance(documents, from: cursors[i], to: ends[i], target: candidate)
                    matched[i] = cursors[i] < ends[i] && documents[cursors[i]] == candidate
                    if matched[i] { contribution[i] = weights[cursors[i]] }
                }
                let score = Self.sumInQueryOrder(slots: slots, matched: matched, contribution: contribution)
                if score > 0, score >= heap.threshold { heap.insert(Int(candidate), score) }
            }
        }

        /// Document-at-a-time MaxScore over this search's terms, starting from `heap`, passing over the documents
        /// of `scored` (ascending), which are already in it or were turned away.
        private func maxScore(
            documents: UnsafeBufferPointer<Int32>, weights: UnsafeBufferPointer<Float>, heap: inout TopKHeap,
            scored: [Int32]
        ) -> [ScoredDocument] {
            let count = terms.count
            var cursors = terms.map { Int(index.postingOffsets[$0]) }
            let ends = terms.map { Int(index.postingOffsets[$0 + 1]) }
            var contribution = [Float](repeating: 0, count: count)
            var matched = [Bool](repeating: false, count: count)
            // Where each occurrence's term sits in `terms`, to sum in query order.
            let slots = occurrences.map { id in terms.firstIndex(of: Int(id))! }
            var nextScored = 0
            var threshold = 0.0
            var firstEssential = 0
            func raiseThreshold() {
                guard heap.items.count == k else { return }
                threshold = Double(heap.threshold)
                while firstEssential < count, cumulative[firstEssential] * (1 + Self.slack) < threshold {
                    firstEssential += 1
                }
            }
            raiseThreshold()
            guard count > 0 else { return heap.sorted() }

            while true {
                var candidate = Int32.max
                var live = 0, single = 0
                for i in firstEssential..<count where cursors[i] < ends[i] {
                    live += 1
                    single = i
                    candidate = min(candidate, documents[cursors[i]])
                }
                if live == 0 { break }
                if live == 1 {
                    // One essential list left with postings (the usual case once the top k has filled, and the whole
                    // tail of a query pairing a rare term with a common one): walk it and pass over, sixteen at a
                    // time, the postings too light to lift their document into the top k.
                    let others = firstEssential > 0 ? cumulative[firstEssential - 1] : 0
                    let lightest = Float(((threshold / (1 + Self.slack)) - others) / repeats[single]) * (1 - 1e-6)
                    var cursor = cursors[single]
                    let end = ends[single]
                    let raw = UnsafeRawPointer(weights.baseAddress!)
                    let floor = SIMD16<Float>(repeating: lightest)
                    while cursor + 16 <= end,
                          !any(raw.loadUnaligned(fromByteOffset: cursor * MemoryLayout<Float>.stride, as: SIMD16<Float>.self) .>= floor) {
                        cursor += 16
                    }
                    while cursor < end, weights[cursor] < lightest { cursor += 1 }
                    cursors[single] = cursor
                    guard cursor < end else { break }
                    candidate = documents[cursor]
                }
                if candidate == .max { break }
                var partial = 0.0
                for i in 0..<count { matched[i] = false }
                for i in firstEssential..<count where cursors[i] < ends[i] && documents[cursors[i]] == candidate {
                    contribution[i] = weights[cursors[i]]
                    matched[i] = true
                    partial += Double(contribution[i]) * repeats[i]
                    cursors[i] += 1
                }
                while nextScored < scored.count, scored[nextScored] < candidate { nextScored += 1 }
                if nextScored < scored.count, scored[nextScored] == candidate { continue }
                var reachable = true
                var i = firstEssential - 1
                while i >= 0 {
                    if (partial + cumulative[i]) * (1 + Self.slack) < threshold {
                        reachable = false
                        break
                    }
                    cursors[i] = Self.advance(documents, from: cursors[i], to: ends[i], target: candidate)
                    if cursors[i] < ends[i], documents[cursors[i]] == candidate {
                        contribution[i] = weights[cursors[i]]
                        matched[i] = true
                        partial += Double(contribution[i]) * repeats[i]
                    }
                    i -= 1
                }
                guard reachable else { continue }
                let score = Self.sumInQueryOrder(slots: slots, matched: matched, contribution: contribution)
                guard score > 0, score >= heap.threshold else { continue }
                heap.insert(Int(candidate), score)
                raiseThreshold()
            }
            return heap.sorted()
        }

        /// A document's score as exhaustive scoring sums it: its terms' weights in query order, repeats included,
        /// the first one found starting the sum.
        private static func sumInQueryOrder(slots: [Int], matched: [Bool], contribution: [Float]) -> Float {
            var score: Float = 0
            var started = false
            for slot in slots where matched[slot] {
                score = started ? score + contribution[slot] : contribution[slot]
                started = true
            }
            return score
        }

        /// The first posting at or after `from` whose document is at least `target` (galloping, then binary search).
        private static func advance(_ documents: UnsafeBufferPointer<Int32>, from start: Int, to end: Int, target: Int32) -> Int {
            // The lists probed are the long ones, where the target is usually a few postings ahead: a short linear
            // walk first keeps the branches predictable.
            var from = start
            for _ in 0..<8 {
                guard from < end, documents[from] < target else { return from }
                from += 1
            }
            guard from < end, documents[from] < target else { return from }
            var low = from, step = 1
            var high = from + 1
            while high < end, documents[high] < target {
                low = high
                step <<= 1
                high = min(end, from + step)
            }
            // documents[low] < target ≤ documents[high] (or high == end)
            var (lo, hi) = (low + 1, high)
            while lo < hi {
                let middle = (lo + hi) / 2
                if documents[middle] < target { lo = middle + 1 } else { hi = middle }
            }
            return lo
        }
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
            let range = Int(postingOffsets[id])..<Int(postingOffsets[id + 1])
            total += range.map { postingWeights[$0] }.max() ?? 0
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
