/// The one retrieval engine: BM25 over each group's pooled terms, dense cosine over every unit, fused, and collapsed
/// to groups. Customer service groups FAQ phrasings by topic: short questions share few words, so a topic's pooled
/// vocabulary matches paraphrases a single phrasing misses. Document retrieval groups chunks (one unit each) or
/// documents.
public struct HybridIndex: Sendable {
    public let units: [RetrievalUnit]
    /// Group names in order of first appearance.
    public let groups: [String]
    /// BM25 over groups, each the concatenated terms of its units.
    public let lexical: BM25Index
    /// Unit vectors.
    public let dense: DenseIndex
    /// For each unit, its group.
    let unitGroups: [Int]

    /// Indexes `units`; `terms` and `vectors` are given per unit in the same order.
    public init(
        units: [RetrievalUnit], unitTerms terms: [[String]], unitVectors vectors: [[Float]],
        lexicalParameters: BM25Index.Parameters = BM25Index.Parameters()
    ) throws {
        guard terms.count == units.count, vectors.count == units.count else {
            throw RetrievalError.misalignedInputs(units: units.count, termLists: terms.count, vectors: vectors.count)
        }
        var groupIDs: [String: Int] = [:]
        var groups: [String] = []
        let unitGroups = units.map { unit -> Int in
            if let id = groupIDs[unit.group] { return id }
            groupIDs[unit.group] = groups.count
            groups.append(unit.group)
            return groups.count - 1
        }
        self.units = units
        self.groups = groups
        self.unitGroups = unitGroups
        var groupTerms = [[String]](repeating: [], count: groups.count)
        for (unit, group) in unitGroups.enumerated() { groupTerms[group] += terms[unit] }
        self.lexical = BM25Index(documents: groupTerms, parameters: lexicalParameters)
        self.dense = try DenseIndex(dimension: vectors.first?.count ?? 0, vectors: vectors)
    }

    /// Mean and standard deviation (1 when the values are all equal).
    static func meanAndScale(_ values: [Float]) -> (mean: Float, scale: Float) {
        guard !values.isEmpty else { return (0, 1) }
        let mean = values.reduce(0, +) / Float(values.count)
        let variance = values.reduce(Float(0)) { $0 + ($1 - mean) * ($1 - mean) } / Float(values.count)
        return (mean, variance > 1e-12 ? variance.squareRoot() : 1)
    }

    /// A query's raw evidence for every unit, computed once and fused as often as needed (calibration tries many
    /// fusions on the same queries).
    public struct QueryScores: Sendable {
        /// The units scored, in the order of `bm25` and `cosines`; nil: every unit, in index order.
        public var shortlist: [Int]?
        /// BM25 of each unit's group.
        public var bm25: [Float]
        /// Cosine of each unit.
        public var cosines: [Float]
        /// The query's maximum attainable BM25 score.
        public var attainable: Float
        var topBM25: Float
        var denseStatistics: (mean: Float, scale: Float)
        var lexicalStatistics: (mean: Float, scale: Float)

        /// The same scores kept only for the `count` best units by BM25 and the `count` best by cosine (statistics
        /// still over every unit): a fusion of the two rarely ranks anything else first, and a calibration that
        /// holds many queries' scores at once cannot keep every unit of a large knowledge base for each.
        public func shortlisted(_ count: Int) -> QueryScores {
            guard shortlist == nil, bm25.count > 2 * count else { return self }
            var byBM25 = TopKHeap(capacity: count)
            var byCosine = TopKHeap(capacity: count)
            for unit in bm25.indices {
                byBM25.insert(unit, bm25[unit])
                byCosine.insert(unit, cosines[unit])
            }
            let kept = Array(Set(byBM25.sorted().map(\.document) + byCosine.sorted().map(\.document))).sorted()
            var copy = self
            copy.shortlist = kept
            copy.bm25 = kept.map { bm25[$0] }
            copy.cosines = kept.map { cosines[$0] }
            return copy
        }
    }

    /// The raw scores of a query; a vector of another dimension than the index's is an error.
    public func scores(terms: [String], vector: [Float]) throws -> QueryScores {
        let count = units.count
        var groupBM25 = [Float](repeating: 0, count: groups.count)
        var scratch = ScoreAccumulator(documentCount: groups.count)
        for group in lexical.matches(terms, scratch: &scratch) { groupBM25[group.document] = group.score }
        let bm25 = unitGroups.map { groupBM25[$0] }
        let cosines = vector.isEmpty || count == 0 ? [Float](repeating: 0, count: count) : try dense.scores(for: vector)
        return QueryScores(
            shortlist: nil, bm25: bm25, cosines: cosines, attainable: lexical.maximumAttainableScore(for: terms),
            topBM25: bm25.max() ?? 0, denseStatistics: Self.meanAndScale(cosines),
            lexicalStatistics: Self.meanAndScale(bm25))
    }

    /// The fused score of one unit.
    @inline(__always)
    func fusedScore(_ scores: QueryScores, position: Int, fusion: Fusion) -> Float {
        let bm25 = scores.bm25[position]
        let cosine = scores.cosines[position]
        switch fusion {
        case .bm25: return scores.attainable > 0 ? bm25 / scores.attainable : 0
        case .dense: return cosine
        case .vividcrowd(let lexicalWeight, let denseWeight):
            let lexicalPart = scores.topBM25 > 0 ? bm25 / scores.topBM25 : 0
            return Float(lexicalWeight) * lexicalPart + Float(denseWeight) * (cosine + 1) / 2
        case .convex(let weight):
            let normalised = scores.attainable > 0 ? bm25 / scores.attainable : 0
            return Float(weight) * normalised + Float(1 - weight) * cosine
        case .zScore(let weight):
            return Float(weight) * (bm25 - scores.lexicalStatistics.mean) / scores.lexicalStatistics.scale
                + Float(1 - weight) * (cosine - scores.denseStatistics.mean) / scores.denseStatistics.scale
        }
    }

    /// The group of the best-scoring unit; nil for an empty index.
    func topGroup(_ scores: QueryScores, fusion: Fusion) -> Int? {
        var best: (position: Int, score: Float)?
        for position in scores.bm25.indices {
            let fused = fusedScore(scores, position: position, fusion: fusion)
            if best == nil || fused > best!.score { best = (position, fused) }
        }
        return best.map { unitGroups[scores.shortlist?[$0.position] ?? $0.position] }
    }

    /// The `limit` best groups for a query, best first; a vector of another dimension than the index's is an error.
    public func rank(terms: [String], vector: [Float], fusion: Fusion, limit: Int = 10) throws -> [GroupCandidate] {
        guard !units.isEmpty else { return [] }
        return rank(try scores(terms: terms, vector: vector), fusion: fusion, limit: limit)
    }

    /// The `limit` best groups for precomputed scores, best first.
    public func rank(_ scores: QueryScores, fusion: Fusion, limit: Int = 10) -> [GroupCandidate] {
        let count = scores.bm25.count
        guard count > 0 else { return [] }
        // Per group, the position of its best unit in the scores.
        var best = [Int](repeating: -1, count: groups.count)
        var bestFused = [Float](repeating: -.infinity, count: groups.count)
        var fusedScores = [Float](repeating: 0, count: count)
        for position in 0..<count {
            let fused = fusedScore(scores, position: position, fusion: fusion)
            fusedScores[position] = fused
            let group = unitGroups[scores.shortlist?[position] ?? position]
            if fused > bestFused[group] {
                bestFused[group] = fused
                best[group] = position
            }
        }
        var heap = TopKHeap(capacity: limit)
        for group in groups.indices where best[group] >= 0 { heap.insert(group, bestFused[group]) }
        let (attainable, dense) = (scores.attainable, scores.denseStatistics)
        return heap.sorted().map { scored in
            let position = best[scored.document]
            let unit = scores.shortlist?[position] ?? position
            return GroupCandidate(
                group: groups[scored.document], unit: unit, record: units[unit].provenance.record,
                bm25: scores.bm25[position], bm25Normalised: attainable > 0 ? scores.bm25[position] / attainable : 0,
                cosine: scores.cosines[position], fused: fusedScores[position],
                cosineZ: (scores.cosines[position] - dense.mean) / dense.scale)
        }
    }
}
