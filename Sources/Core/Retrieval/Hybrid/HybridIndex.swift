import Foundation

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
    /// Answers dense queries: `dense` itself, or past the policy's size an HNSW graph over it, in which case a query
    /// scores exactly only its candidates (the best units by BM25 and by the graph) instead of every unit.
    public let denseSearcher: any DenseSearching
    /// Units kept by BM25 and by cosine when only candidates are scored; nil when every unit is.
    let candidateCount: Int?
    /// Rows whose exact cosines stand for every unit's in a query's dense statistics when only candidates are scored.
    let statisticsSample: [Int]
    /// Each group's units, `groupUnits[groupUnitStarts[g]..<groupUnitStarts[g + 1]]` (filled only when only
    /// candidates are scored).
    let groupUnits: [Int32]
    let groupUnitStarts: [Int]
    /// For each unit, its group.
    let unitGroups: [Int]
    /// For each group, how many units it has.
    let groupSizes: [Int]
    /// Each group's position in `groups`.
    let groupIndex: [String: Int]
    /// For each group, 1 / the length of the sum of its units' unit vectors: a group's cosine with the query's is then
    /// the sum of its units' cosines times this. nil when no group has more than one unit (the centre is the unit).
    let inverseCentroidLengths: [Float]?
    /// A linear model per group trained on the units (`TopicClassifier`); nil unless at least half the groups have
    /// several units, when the index scores only candidates, or past the model's size.
    let topicClassifier: TopicClassifier?

    /// Indexes `units`; `terms` and `vectors` are given per unit in the same order, and `groupTerms` are words a
    /// group's BM25 document holds beside its units' (a topic's name); groups without units get none. From
    /// `denseSearch`'s size an HNSW graph answers dense queries; it is kept in the policy's folder (when it has one)
    /// under `corpusVersion`, and read back from there while the version stays the same.
    public init(
        units: [RetrievalUnit], unitTerms terms: [[String]], unitVectors vectors: [[Float]],
        groupTerms: [String: [String]] = [:], lexicalParameters: BM25Index.Parameters = BM25Index.Parameters(),
        denseSearch: DenseSearchPolicy = DenseSearchPolicy(), corpusVersion: String = ""
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
        self.groupIndex = groupIDs
        self.unitGroups = unitGroups
        var sizes = [Int](repeating: 0, count: groups.count)
        for group in unitGroups { sizes[group] += 1 }
        self.groupSizes = sizes
        var groupDocuments = groups.map { groupTerms[$0] ?? [] }
        for (unit, group) in unitGroups.enumerated() { groupDocuments[group] += terms[unit] }
        self.lexical = BM25Index(documents: groupDocuments, parameters: lexicalParameters)
        let dense = try DenseIndex(dimension: vectors.first?.count ?? 0, vectors: vectors)
        self.dense = dense
        let centres = sizes.contains { $0 > 1 }
            ? Self.groupCentres(dense, unitGroups: unitGroups, groupCount: groups.count) : nil
        self.inverseCentroidLengths = centres?.inverseLengths
        let approximate = dense.dimension > 0 && dense.count >= denseSearch.approximateFrom
        let severalUnitGroups = sizes.filter { $0 > 1 }.count
        self.topicClassifier = centres.flatMap { centres in
            !approximate && severalUnitGroups * 2 >= groups.count
                ? TopicClassifier(dense: dense, unitGroups: unitGroups, centres: centres.vectors) : nil
        }
        self.denseSearcher = approximate
            ? try denseSearch.searcher(for: dense, version: corpusVersion, folder: denseSearch.graphFolder) : dense
        if approximate {
            candidateCount = max(1, denseSearch.candidates)
            var generator = SeededGenerator(seed: denseSearch.graph.seed)
            var rows = Array(0..<dense.count)
            rows.shuffle(using: &generator)
            statisticsSample = Array(rows.prefix(denseSearch.statisticsSample)).sorted()
            var starts = [Int](repeating: 0, count: groups.count + 1)
            for group in unitGroups { starts[group + 1] += 1 }
            for group in 0..<groups.count { starts[group + 1] += starts[group] }
            var members = [Int32](repeating: 0, count: units.count)
            var fill = starts
            for (unit, group) in unitGroups.enumerated() {
                members[fill[group]] = Int32(unit)
                fill[group] += 1
            }
            groupUnits = members
            groupUnitStarts = starts
        } else {
            candidateCount = nil
            statisticsSample = []
            groupUnits = []
            groupUnitStarts = []
        }
    }

    /// Each group's centre, the sum of its units' (normalised) vectors scaled to unit length (groupCount × dimension,
    /// row-major; a sum of length 0 stays 0), and 1 / the length of each sum (0 for length 0).
    private static func groupCentres(
        _ dense: DenseIndex, unitGroups: [Int], groupCount: Int
    ) -> (vectors: [Float], inverseLengths: [Float]) {
        let dimension = dense.dimension
        var centres = [Float](repeating: 0, count: groupCount * dimension)
        for (unit, group) in unitGroups.enumerated() {
            let row = dense.vector(at: unit)
            for (offset, value) in row.enumerated() { centres[group * dimension + offset] += value }
        }
        let inverseLengths = (0..<groupCount).map { group -> Float in
            let sum = centres[(group * dimension)..<((group + 1) * dimension)]
            let length = sum.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
            guard length > 0 else { return 0 }
            for offset in 0..<dimension { centres[group * dimension + offset] /= length }
            return 1 / length
        }
        return (centres, inverseLengths)
    }

    /// Each group's cosine with the query, from its units' cosines (`cosines[unit]`).
    private func centroidCosines(_ cosines: [Float], inverseLengths: [Float]) -> [Float] {
        var sums = [Float](repeating: 0, count: groups.count)
        for (unit, group) in unitGroups.enumerated() { sums[group] += cosines[unit] }
        for group in sums.indices { sums[group] *= inverseLengths[group] }
        return sums
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
        /// With a shortlist: each position's slot, and each slot's group (the shortlist's distinct groups), worked
        /// out once so that every fusion ranked over the shortlist skips it.
        var slots: (ofPosition: [Int], groups: [Int])?
        /// BM25 of each unit's group.
        public var bm25: [Float]
        /// Cosine of each unit.
        public var cosines: [Float]
        /// The query's maximum attainable BM25 score.
        public var attainable: Float
        var topBM25: Float
        var denseStatistics: (mean: Float, scale: Float)
        var lexicalStatistics: (mean: Float, scale: Float)
        /// Each group's cosine with its mean phrasing (by group, in `groups` order), and their mean and spread over the
        /// groups; empty when every unit is its own group, or when only candidates were scored (the centre of a
        /// group needs all its units' cosines).
        var centroidCosines: [Float] = []
        var centroidStatistics: (mean: Float, scale: Float) = (0, 1)
        /// Each group's score under the index's per-topic model (by group), and their mean and spread; empty without
        /// a model.
        var classifierScores: [Float] = []
        var classifierStatistics: (mean: Float, scale: Float) = (0, 1)
    }

    /// The raw scores of a query; a vector of another dimension than the index's is an error. Past the dense
    /// policy's size they are a shortlist: see ``candidateScores(terms:vector:keeping:)``. With `fusion`, only what it
    /// ranks by: a group's centre or its per-topic model score is computed only for the fusion that reads it (a
    /// calibration, which tries every fusion on the same scores, passes none and gets all).
    public func scores(terms: [String], vector: [Float], for fusion: Fusion? = nil) throws -> QueryScores {
        if let candidateCount { return try candidateScores(terms: terms, vector: vector, keeping: candidateCount) }
        let count = units.count
        var groupBM25 = [Float](repeating: 0, count: groups.count)
        var scratch = ScoreAccumulator(documentCount: groups.count)
        for group in lexical.matches(terms, scratch: &scratch) { groupBM25[group.document] = group.score }
        let bm25 = unitGroups.map { groupBM25[$0] }
        let cosines = vector.isEmpty || count == 0 ? [Float](repeating: 0, count: count) : try dense.scores(for: vector)
        var scores = QueryScores(
            shortlist: nil, bm25: bm25, cosines: cosines, attainable: lexical.maximumAttainableScore(for: terms),
            topBM25: bm25.max() ?? 0, denseStatistics: Self.meanAndScale(cosines),
            lexicalStatistics: Self.meanAndScale(bm25))
        if let inverseCentroidLengths, fusion?.scoresCentroids ?? true {
            scores.centroidCosines = centroidCosines(cosines, inverseLengths: inverseCentroidLengths)
            scores.centroidStatistics = Self.meanAndScale(scores.centroidCosines)
        }
        if let topicClassifier, !vector.isEmpty, fusion?.scoresByClassifier ?? true {
            scores.classifierScores = topicClassifier.scores(unit: DenseIndex.normalised(vector))
            scores.classifierStatistics = Self.meanAndScale(scores.classifierScores)
        }
        return scores
    }

    /// The same scores kept only for the `count` best units by BM25 and the `count` best by cosine (statistics still
    /// over every unit): a fusion of the two rarely ranks anything else first, and a calibration that holds many
    /// queries' scores at once cannot keep every unit of a large knowledge base for each.
    public func shortlisted(_ scores: QueryScores, keeping count: Int) -> QueryScores {
        guard scores.shortlist == nil, scores.bm25.count > 2 * count else { return scores }
        var byBM25 = TopKHeap(capacity: count)
        var byCosine = TopKHeap(capacity: count)
        for unit in scores.bm25.indices {
            byBM25.insert(unit, scores.bm25[unit])
            byCosine.insert(unit, scores.cosines[unit])
        }
        let kept = Array(Set(byBM25.sorted().map(\.document) + byCosine.sorted().map(\.document))).sorted()
        var copy = scores
        copy.shortlist = kept
        copy.slots = slots(of: kept)
        copy.bm25 = kept.map { scores.bm25[$0] }
        copy.cosines = kept.map { scores.cosines[$0] }
        return copy
    }

    /// For shortlisted units (in order), each one's slot and each slot's group: the shortlist's distinct groups.
    private func slots(of kept: [Int]) -> (ofPosition: [Int], groups: [Int]) {
        var slotOfGroup: [Int: Int] = [:]
        var slotGroups: [Int] = []
        let slotOfPosition = kept.map { unit in
            let group = unitGroups[unit]
            if let slot = slotOfGroup[group] { return slot }
            slotOfGroup[group] = slotGroups.count
            slotGroups.append(group)
            return slotGroups.count - 1
        }
        return (slotOfPosition, slotGroups)
    }

    /// A query's scores over its candidates only, for a corpus too large to score every unit's cosine: the units of
    /// the `count` best groups by BM25 and the `count` nearest units by the graph, each with its exact BM25 and exact
    /// cosine. BM25's statistics are exact (every matching group is scored, as lexical search is cheap); the dense
    /// ones come from a fixed sample of rows, since only the graph's candidates are scored.
    func candidateScores(terms: [String], vector: [Float], keeping count: Int) throws -> QueryScores {
        var scratch = ScoreAccumulator(documentCount: groups.count)
        var byBM25 = TopKHeap(capacity: count)
        var sum = 0.0
        var squares = 0.0
        var topBM25: Float = 0
        for match in lexical.matches(terms, scratch: &scratch) {
            let size = Double(groupSizes[match.document])
            sum += size * Double(match.score)
            squares += size * Double(match.score) * Double(match.score)
            topBM25 = max(topBM25, match.score)
            byBM25.insert(match.document, match.score)
        }
        var kept = Set<Int>()
        for group in byBM25.sorted() {
            for unit in groupUnits[groupUnitStarts[group.document]..<groupUnitStarts[group.document + 1]].prefix(count) {
                kept.insert(Int(unit))
            }
        }
        var denseStatistics: (mean: Float, scale: Float) = (0, 1)
        var cosineOf: [Int: Float] = [:]
        if !vector.isEmpty {
            for found in try denseSearcher.search(vector, k: count) {
                kept.insert(found.document)
                cosineOf[found.document] = found.score
            }
            let unit = DenseIndex.normalised(vector)
            denseStatistics = Self.meanAndScale(dense.cosines(of: statisticsSample, unit: unit))
            let missing = kept.filter { cosineOf[$0] == nil }
            for (row, cosine) in zip(missing, dense.cosines(of: missing, unit: unit)) { cosineOf[row] = cosine }
        }
        let shortlist = kept.sorted()
        let unitCount = Double(max(units.count, 1))
        let mean = sum / unitCount
        let variance = squares / unitCount - mean * mean
        return QueryScores(
            shortlist: shortlist, slots: slots(of: shortlist),
            bm25: shortlist.map { scratch.score(of: unitGroups[$0]) },
            cosines: shortlist.map { cosineOf[$0] ?? 0 }, attainable: lexical.maximumAttainableScore(for: terms),
            topBM25: topBM25, denseStatistics: denseStatistics,
            lexicalStatistics: (Float(mean), variance > 1e-12 ? Float(variance.squareRoot()) : 1))
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
        case .zScore(let weight), .pooledZScore(let weight, _), .centroidZScore(let weight), .classifierZScore(let weight):
            return Float(weight) * (bm25 - scores.lexicalStatistics.mean) / scores.lexicalStatistics.scale
                + Float(1 - weight) * (cosine - scores.denseStatistics.mean) / scores.denseStatistics.scale
        }
    }

    /// The group of the best-scoring unit; nil for an empty index.
    func topGroup(_ scores: QueryScores, fusion: Fusion) -> Int? {
        if fusion.poolingTemperature != nil || fusion.scoresCentroids || fusion.scoresByClassifier {
            let grouped = groupScores(scores, fusion: fusion, limit: 1)
            return grouped.top(1).first.map { grouped.group($0.document) }
        }
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
        return rank(try scores(terms: terms, vector: vector, for: fusion), fusion: fusion, limit: limit)
    }

    /// The scores of the groups the scored units belong to, by slot: every group when every unit was scored, only
    /// the shortlist's groups otherwise (a calibration sweep ranks thousands of shortlists; touching every group of a
    /// large knowledge base for each would dominate it).
    private struct GroupScores {
        /// Each slot's group; nil: slot and group are the same.
        var groupOf: [Int]?
        /// Each slot's best unit, as a position in the scores.
        var best: [Int]
        var score: [Float]
        /// Each position's fused score.
        var fused: [Float]

        func group(_ slot: Int) -> Int { groupOf?[slot] ?? slot }

        /// The best slots.
        func top(_ limit: Int) -> [ScoredDocument] {
            var heap = TopKHeap(capacity: limit)
            for slot in best.indices where best[slot] >= 0 { heap.insert(slot, score[slot]) }
            return heap.sorted()
        }
    }

    /// Exact for the groups that can be among the `limit` best; the others keep their best unit's score, which is
    /// above their pooled score but below those groups' pooled scores.
    private func groupScores(_ scores: QueryScores, fusion: Fusion, limit: Int) -> GroupScores {
        let count = scores.bm25.count
        let groupOf = scores.slots?.groups
        let slotOfPosition = scores.slots?.ofPosition ?? unitGroups
        let slotCount = groupOf?.count ?? groups.count
        var best = [Int](repeating: -1, count: slotCount)
        var bestFused = [Float](repeating: -.infinity, count: slotCount)
        var fusedScores = [Float](repeating: 0, count: count)
        for position in 0..<count {
            let fused = fusedScore(scores, position: position, fusion: fusion)
            fusedScores[position] = fused
            let slot = slotOfPosition[position]
            if fused > bestFused[slot] {
                bestFused[slot] = fused
                best[slot] = position
            }
        }
        if let (weight, dense, statistics) = Self.wholeGroupScores(scores, fusion: fusion) {
            // The best unit stays the group's representative; the group is scored as a whole (its centre, or the
            // per-topic model).
            let lexical = scores.lexicalStatistics
            for slot in 0..<slotCount where best[slot] >= 0 {
                let bm25 = scores.bm25[best[slot]]
                let groupScore = dense[groupOf?[slot] ?? slot]
                bestFused[slot] = Float(weight) * (bm25 - lexical.mean) / lexical.scale
                    + Float(1 - weight) * (groupScore - statistics.mean) / statistics.scale
            }
        } else if let temperature = fusion.poolingTemperature.map(Float.init) {
            let size = { (slot: Int) in Float(self.groupSizes[groupOf?[slot] ?? slot]) }
            // A group's pooled score lies between its best unit's score and that plus temperature × log(1 / size):
            // only groups whose best reaches the limit-th largest lower bound can be among the best.
            var lowerBounds = TopKHeap(capacity: limit)
            for slot in 0..<slotCount where best[slot] >= 0 {
                lowerBounds.insert(slot, bestFused[slot] + temperature * log(1 / size(slot)))
            }
            let cut = lowerBounds.threshold
            // Shifted by each group's best for stability; units left out of a shortlist count as contributing
            // nothing, so the mean is over the whole group.
            var sums = [Float](repeating: 0, count: slotCount)
            for position in 0..<count {
                let slot = slotOfPosition[position]
                guard bestFused[slot] >= cut else { continue }
                sums[slot] += exp((fusedScores[position] - bestFused[slot]) / temperature)
            }
            for slot in 0..<slotCount where best[slot] >= 0 && bestFused[slot] >= cut {
                bestFused[slot] += temperature * log(sums[slot] / size(slot))
            }
        }
        return GroupScores(groupOf: groupOf, best: best, score: bestFused, fused: fusedScores)
    }

    /// The fusion's BM25 weight and dense score per group (with their mean and spread) when it scores groups as a
    /// whole and the query has those scores; nil otherwise (the fusion then ranks by each group's best unit).
    private static func wholeGroupScores(
        _ scores: QueryScores, fusion: Fusion
    ) -> (weight: Double, dense: [Float], statistics: (mean: Float, scale: Float))? {
        switch fusion {
        case .centroidZScore(let weight) where !scores.centroidCosines.isEmpty:
            return (weight, scores.centroidCosines, scores.centroidStatistics)
        case .classifierZScore(let weight) where !scores.classifierScores.isEmpty:
            return (weight, scores.classifierScores, scores.classifierStatistics)
        default:
            return nil
        }
    }

    /// The `limit` best groups for precomputed scores, best first; `fused` is the group's score (its best unit's,
    /// or the soft maximum over its units).
    public func rank(_ scores: QueryScores, fusion: Fusion, limit: Int = 10) -> [GroupCandidate] {
        guard !scores.bm25.isEmpty else { return [] }
        let grouped = groupScores(scores, fusion: fusion, limit: limit)
        let (attainable, dense) = (scores.attainable, scores.denseStatistics)
        return grouped.top(limit).map { scored in
            let position = grouped.best[scored.document]
            let unit = scores.shortlist?[position] ?? position
            return GroupCandidate(
                group: groups[grouped.group(scored.document)], unit: unit, record: units[unit].provenance.record,
                bm25: scores.bm25[position], bm25Normalised: attainable > 0 ? scores.bm25[position] / attainable : 0,
                cosine: scores.cosines[position], fused: grouped.score[scored.document],
                cosineZ: (scores.cosines[position] - dense.mean) / dense.scale)
        }
    }
}
