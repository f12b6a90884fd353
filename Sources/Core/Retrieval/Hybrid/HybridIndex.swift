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

    /// The `limit` best groups for a query, best first; a vector of another dimension than the index's is an error.
    public func rank(terms: [String], vector: [Float], fusion: Fusion, limit: Int = 10) throws -> [GroupCandidate] {
        let count = units.count
        guard count > 0 else { return [] }
        var groupBM25 = [Float](repeating: 0, count: groups.count)
        var scratch = ScoreAccumulator(documentCount: groups.count)
        for group in lexical.matches(terms, scratch: &scratch) { groupBM25[group.document] = group.score }
        let bm25 = unitGroups.map { groupBM25[$0] }
        let cosines = vector.isEmpty ? [Float](repeating: 0, count: count) : try dense.scores(for: vector)
        let attainable = lexical.maximumAttainableScore(for: terms)
        let topBM25 = bm25.max() ?? 0
        let denseStatistics = Self.meanAndScale(cosines)
        var lexicalStatistics = (mean: Float(0), scale: Float(1))
        if case .zScore = fusion { lexicalStatistics = Self.meanAndScale(bm25) }

        var best = [Int](repeating: -1, count: groups.count)
        var bestFused = [Float](repeating: -.infinity, count: groups.count)
        var fusedScores = [Float](repeating: 0, count: count)
        for unit in 0..<count {
            let normalised = attainable > 0 ? bm25[unit] / attainable : 0
            let fused: Float
            switch fusion {
            case .bm25: fused = normalised
            case .dense: fused = cosines[unit]
            case .vividcrowd(let lexicalWeight, let denseWeight):
                let lexicalPart = topBM25 > 0 ? bm25[unit] / topBM25 : 0
                fused = Float(lexicalWeight) * lexicalPart + Float(denseWeight) * (cosines[unit] + 1) / 2
            case .convex(let weight):
                fused = Float(weight) * normalised + Float(1 - weight) * cosines[unit]
            case .zScore(let weight):
                fused = Float(weight) * (bm25[unit] - lexicalStatistics.mean) / lexicalStatistics.scale
                    + Float(1 - weight) * (cosines[unit] - denseStatistics.mean) / denseStatistics.scale
            }
            fusedScores[unit] = fused
            let group = unitGroups[unit]
            if fused > bestFused[group] {
                bestFused[group] = fused
                best[group] = unit
            }
        }
        var heap = TopKHeap(capacity: limit)
        for group in groups.indices where best[group] >= 0 { heap.insert(group, bestFused[group]) }
        return heap.sorted().map { scored in
            let unit = best[scored.document]
            return GroupCandidate(
                group: groups[scored.document], unit: unit, record: units[unit].provenance.record, bm25: bm25[unit],
                bm25Normalised: attainable > 0 ? bm25[unit] / attainable : 0, cosine: cosines[unit],
                fused: fusedScores[unit], cosineZ: (cosines[unit] - denseStatistics.mean) / denseStatistics.scale)
        }
    }
}
