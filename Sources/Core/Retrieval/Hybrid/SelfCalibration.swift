/// Calibrates a knowledge base from its own phrasings, with no labelled questions: every phrasing is held out in
/// turn and asked, as a user's question would be, of an index built from the others. A topic's other phrasings are
/// what a paraphrase should find; a topic's only phrasing, held out, is a question the rest of the knowledge base does
/// not cover, which is what the low band must turn away.
public enum SelfCalibration {
    /// Held-out phrasings whose topic keeps other phrasings in the index, below which no fit is attempted (as for
    /// labelled calibration).
    public static let minimumInScopeQueries = 20
    /// The share of topics that must have several phrasings: a fit on a few such topics among many single ones would
    /// speak for those few (the original qa.csv has 15 of 478).
    public static let minimumSeveralPhrasingsShare = 0.5
    /// At most this many held-out phrasings are asked (a seeded sample of a larger knowledge base), which bounds the
    /// work an import does.
    public static let maximumQueries = 1_000
    /// Folds: in each, one phrasing of every topic (more for topics with more than this many) is held out.
    public static let folds = 10
    /// Units kept per held-out query for the fusion sweep (see `HybridIndex.shortlisted`).
    public static let shortlist = 64
    /// The precision the high band aims at on held-out phrasings: half a point over the 98% it promises, because a
    /// knowledge base's phrasings resemble each other more than users' questions resemble them. Measured on the dev
    /// suites' query splits with the per-topic model: aimed at 98%, the band held 97.6% (banking77 10-shot) and 97.7%
    /// (CLINC150 10-shot) of users' questions right; aimed at 98.5%, 99.5% and 98.4%.
    public static let targetPrecision = 0.985

    /// The held-out queries of a knowledge base, each scored against the index of its fold. `unitTerms`,
    /// `unitVectors` and `groupTerms` are as for `HybridIndex`.
    public static func heldOutQueries(
        units: [RetrievalUnit], unitTerms: [[String]], unitVectors: [[Float]], groupTerms: [String: [String]] = [:],
        lexicalParameters: BM25Index.Parameters = BM25Index.Parameters(), folds: Int = folds,
        maximumQueries: Int = maximumQueries, seed: UInt64 = 0x5E1F
    ) throws -> [ScoredQuery] {
        guard unitTerms.count == units.count, unitVectors.count == units.count else {
            throw RetrievalError.misalignedInputs(
                units: units.count, termLists: unitTerms.count, vectors: unitVectors.count)
        }
        var unitsByGroup: [String: [Int]] = [:]
        var groupOrder: [String] = []
        for (index, unit) in units.enumerated() {
            if unitsByGroup[unit.group] == nil { groupOrder.append(unit.group) }
            unitsByGroup[unit.group, default: []].append(index)
        }
        // Spread each topic's phrasings over the folds from a different starting fold, so every fold's index
        // keeps most of every topic.
        var fold = [Int](repeating: 0, count: units.count)
        for (topic, group) in groupOrder.enumerated() {
            for (position, unit) in unitsByGroup[group]!.enumerated() { fold[unit] = (position + topic) % folds }
        }
        // A phrasing repeated word for word within its topic would find itself: it is held out but not asked.
        var keyCounts: [String: Int] = [:]
        let keys = units.map { "\($0.group)\u{1F}\(VerbatimLookup.key($0.text))" }
        for key in keys { keyCounts[key, default: 0] += 1 }
        var asked = units.indices.filter { keyCounts[keys[$0]] == 1 }
        if asked.count > maximumQueries {
            var generator = SeededGenerator(seed: seed)
            asked = Array(asked.shuffled(using: &generator).prefix(maximumQueries)).sorted()
        }
        let askedSet = Set(asked)
        var queries: [ScoredQuery] = []
        queries.reserveCapacity(asked.count)
        for current in 0..<folds {
            let heldOut = units.indices.filter { fold[$0] == current }
            let questions = heldOut.filter(askedSet.contains)
            guard !questions.isEmpty else { continue }
            let kept = units.indices.filter { fold[$0] != current }
            guard !kept.isEmpty else { continue }
            let index = try HybridIndex(
                units: kept.map { units[$0] }, unitTerms: kept.map { unitTerms[$0] },
                unitVectors: kept.map { unitVectors[$0] }, groupTerms: groupTerms, lexicalParameters: lexicalParameters)
            let present = Set(index.groups)
            for unit in questions {
                let scores = index.shortlisted(
                    try index.scores(terms: unitTerms[unit], vector: unitVectors[unit]), keeping: shortlist)
                let group = units[unit].group
                queries.append(ScoredQuery(index: index, scores: scores, expected: present.contains(group) ? group : nil))
            }
        }
        return queries
    }

    /// Whether enough of the topics have several phrasings to calibrate from.
    public static func canCalibrate(_ units: [RetrievalUnit]) -> Bool {
        var phrasingsPerTopic: [String: Int] = [:]
        for unit in units { phrasingsPerTopic[unit.group, default: 0] += 1 }
        let several = phrasingsPerTopic.values.filter { $0 > 1 }.count
        return several > 0 && Double(several) >= minimumSeveralPhrasingsShare * Double(phrasingsPerTopic.count)
    }

    /// The calibration fitted from the knowledge base's own phrasings, or nil when too few topics have more than one
    /// phrasing to learn from.
    public static func fit(
        units: [RetrievalUnit], unitTerms: [[String]], unitVectors: [[Float]], groupTerms: [String: [String]] = [:],
        lexicalParameters: BM25Index.Parameters = BM25Index.Parameters(), defaultHigh: Double = 0.9,
        defaultMid: Double = 0.6
    ) throws -> RetrievalCalibration? {
        guard canCalibrate(units) else { return nil }
        let queries = try heldOutQueries(
            units: units, unitTerms: unitTerms, unitVectors: unitVectors, groupTerms: groupTerms,
            lexicalParameters: lexicalParameters)
        return fit(heldOut: queries, defaultHigh: defaultHigh, defaultMid: defaultMid)
    }

    /// The calibration fitted on held-out queries already scored, or nil with too few in scope; `equivalents` as for
    /// `RetrievalCalibration.fit(scored:…)`.
    public static func fit(
        heldOut queries: [ScoredQuery], defaultHigh: Double = 0.9, defaultMid: Double = 0.6,
        equivalents: [String: Set<String>] = [:]
    ) -> RetrievalCalibration? {
        guard queries.filter({ $0.expected != nil }).count >= minimumInScopeQueries else { return nil }
        return RetrievalCalibration.fit(
            scored: queries, defaultHigh: defaultHigh, defaultMid: defaultMid, targetPrecision: targetPrecision,
            equivalents: equivalents, source: .selfFitted)
    }
}
