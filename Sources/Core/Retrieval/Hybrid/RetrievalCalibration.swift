import Foundation

/// A labelled query prepared for retrieval: its terms, its vector and the topic it should find (nil: out of scope).
public struct PreparedQuery: Sendable {
    public var text: String
    public var terms: [String]
    public var vector: [Float]
    public var expected: String?

    public init(text: String, terms: [String], vector: [Float], expected: String?) {
        self.text = text
        self.terms = terms
        self.vector = vector
        self.expected = expected
    }
}

/// A query with its raw scores against the index it was asked of (held-out phrasings are asked of an index
/// without them).
public struct ScoredQuery: Sendable {
    public var index: HybridIndex
    public var scores: HybridIndex.QueryScores
    /// The topic it should find; nil: out of scope (or its topic is not in `index`).
    public var expected: String?

    public init(index: HybridIndex, scores: HybridIndex.QueryScores, expected: String?) {
        self.index = index
        self.scores = scores
        self.expected = expected
    }

    func rank(_ fusion: Fusion, limit: Int) -> [GroupCandidate] { index.rank(scores, fusion: fusion, limit: limit) }
}

/// Where a calibration came from, and so which one wins: labelled questions over the knowledge base's own
/// phrasings over the configured default.
public enum CalibrationSource: String, Sendable, Codable, Hashable {
    /// The configured fusion and thresholds; nothing fitted.
    case `default`
    /// Fitted from the knowledge base itself, each phrasing held out as a query against the rest.
    case selfFitted = "self"
    /// Fitted on labelled questions (`calibrate-kb`).
    case labelled
}

/// A logistic model of "the question is one the knowledge base covers", fitted where out-of-scope questions are known,
/// and the probability below which a question is turned away (the low band).
///
/// "Is the top topic right?" mixes two failures, a question about something else and a question ranked wrong among
/// topics it does belong to; a model of the first alone separates out-of-scope questions better (measured on
/// CLINC150's query split: 79% of them below the point that keeps 95% of in-scope questions, against 63% for the
/// confidence model).
public struct ScopeModel: Sendable, Codable, Hashable {
    public var model: ConfidenceModel
    /// Below this probability of being in scope, a question gets the low band.
    public var threshold: Double

    public init(model: ConfidenceModel, threshold: Double) {
        self.model = model
        self.threshold = threshold
    }

    /// Out-of-scope examples a fit needs before it models scope on its own, and in-scope ones beside them.
    public static let minimumOutOfScopeExamples = 20
    public static let minimumInScopeExamples = 20

    /// Whether a ranking's question is turned away as one the knowledge base does not cover.
    public func rejects(_ candidates: [GroupCandidate]) -> Bool { model.probability(candidates) < threshold }
}

/// Everything that turns a ranking into a decision for one knowledge base and embedding model: the fusion,
/// the confidence model and the band thresholds on its probability.
public struct RetrievalCalibration: Sendable, Codable, Hashable {
    public var fusion: Fusion
    /// nil: the fused score itself is the confidence (uncalibrated).
    public var confidence: ConfidenceModel?
    public var highThreshold: Double
    /// The low band's bound on the confidence; with a scope model, 0 (the scope model decides the low band).
    public var midThreshold: Double
    /// Fitted when the fit had out-of-scope examples: it, not the mid threshold, turns questions away.
    public var scope: ScopeModel?
    public var calibrationQueries: Int
    public var source: CalibrationSource

    /// The share of in-scope questions a fit's thresholds may turn away (with 95% confidence, on each kind of question
    /// it is fitted on): half a point under the 5% aimed at, because users phrase questions less like the knowledge
    /// base than its held-out phrasings and the calibration questions are. Measured on CLINC150 10-shot, whose
    /// queries come from another split than its calibration questions: fitted at 5%, the labelled fit lost 5.3% of
    /// the queries; at 4.5%, 4.7%.
    public static let fittedInScopeLoss = 0.045

    /// The lowest high threshold a fit may choose: below it a "verbatim script" answer would be a coin toss.
    public static let highFloor = 0.9
    /// The original VividCrowd's thresholds on its fused score.
    public static let originalThresholds = (high: 0.9, mid: 0.6)

    /// What a fit replacing this calibration starts from: its mid threshold as the fallback, and a high threshold no
    /// stricter than `highFloor`.
    public var fitFloors: (high: Double, mid: Double) { (min(highThreshold, Self.highFloor), midThreshold) }

    public init(
        fusion: Fusion, confidence: ConfidenceModel?, highThreshold: Double, midThreshold: Double,
        scope: ScopeModel? = nil, calibrationQueries: Int = 0, source: CalibrationSource = .default
    ) {
        self.fusion = fusion
        self.confidence = confidence
        self.highThreshold = highThreshold
        self.midThreshold = midThreshold
        self.scope = scope
        self.calibrationQueries = calibrationQueries
        self.source = source
    }

    enum CodingKeys: String, CodingKey {
        case fusion, confidence, highThreshold, midThreshold, scope, calibrationQueries, source
    }

    /// Decodes a stored calibration; one stored before sources were recorded came from labelled questions.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        fusion = try container.decode(Fusion.self, forKey: .fusion)
        confidence = try container.decodeIfPresent(ConfidenceModel.self, forKey: .confidence)
        highThreshold = try container.decode(Double.self, forKey: .highThreshold)
        midThreshold = try container.decode(Double.self, forKey: .midThreshold)
        scope = try container.decodeIfPresent(ScopeModel.self, forKey: .scope)
        calibrationQueries = try container.decode(Int.self, forKey: .calibrationQueries)
        source = try container.decodeIfPresent(CalibrationSource.self, forKey: .source) ?? .labelled
    }

    /// The confidence that the top candidate is right.
    public func confidence(for candidates: [GroupCandidate]) -> Double {
        guard let top = candidates.first else { return 0 }
        if let confidence { return confidence.probability(candidates) }
        return min(1, max(0, Double(top.fused)))
    }

    /// The band for a ranking and its confidence.
    public func band(for candidates: [GroupCandidate], confidence: Double) -> MatchBand {
        guard let top = candidates.first, top.fused > 0 || top.bm25 > 0 else { return .noMatch }
        if let scope, scope.rejects(candidates) { return .low }
        if confidence >= highThreshold { return .high }
        if confidence >= midThreshold { return .mid }
        return .low
    }

    /// Fits a calibration on labelled queries: the fusion that maximises recall@1 on the in-scope ones,
    /// a logistic confidence over the ranking features, a high threshold at which the calibration queries reach
    /// `targetPrecision`, and a mid threshold that keeps `inScopeLoss` of in-scope queries above the low band.
    /// `phrasings` are the knowledge base's own phrasings held out as questions (`SelfCalibration.heldOutQueries`),
    /// evidence beside the labelled questions: see `fit(scored:phrasings:…)`.
    public static func fit(
        retriever: HybridIndex, queries: [PreparedQuery], phrasings: [ScoredQuery] = [], baseFusion: Fusion? = nil,
        defaultHigh: Double = 0.9, defaultMid: Double = 0.6, targetPrecision: Double = 0.98,
        inScopeLoss: Double = fittedInScopeLoss, equivalents: [String: Set<String>] = [:]
    ) throws -> RetrievalCalibration {
        let scored = try queries.map {
            ScoredQuery(
                index: retriever, scores: try retriever.scores(terms: $0.terms, vector: $0.vector), expected: $0.expected)
        }
        return fit(
            scored: scored, phrasings: phrasings, baseFusion: baseFusion, defaultHigh: defaultHigh,
            defaultMid: defaultMid, targetPrecision: targetPrecision, inScopeLoss: inScopeLoss,
            equivalents: equivalents, source: .labelled)
    }

    /// Fits a calibration on scored queries (see `fit(retriever:queries:…)`).
    ///
    /// With `phrasings` (held-out phrasings of the knowledge base), the fusion is still chosen on `queries` alone,
    /// which speak for the questions users ask; the confidence and scope models and the high threshold are fitted on
    /// both, as more evidence; and the thresholds that turn questions away must keep all but `inScopeLoss` of each
    /// source's in-scope questions, so that a threshold fitted on one kind of question holds on another.
    ///
    /// `equivalents` (each group's near-duplicates) are left out of the rankings the confidence is computed from, as
    /// matching leaves them out (`withoutEquivalents`), so the thresholds are fitted on the confidence that is served;
    /// a question is still right only when its own group ranks first.
    public static func fit(
        scored queries: [ScoredQuery], phrasings: [ScoredQuery] = [], baseFusion: Fusion? = nil,
        defaultHigh: Double = 0.9, defaultMid: Double = 0.6, targetPrecision: Double = 0.98,
        inScopeLoss: Double = fittedInScopeLoss, equivalents: [String: Set<String>] = [:],
        features: Set<String>? = nil, modelsScope: Bool = true, source: CalibrationSource
    ) -> RetrievalCalibration {
        let fusion = baseFusion ?? bestFusion(queries)
        let sources = [queries, phrasings].filter { !$0.isEmpty }
        let evidence = sources.flatMap { $0 }
        let rankings = evidence.map { $0.rank(fusion, limit: 5) }
        let labels = zip(evidence, rankings).map { query, ranking in
            query.expected != nil && ranking.first?.group == query.expected
        }
        let served = equivalents.isEmpty ? rankings : rankings.map { withoutEquivalents($0, equivalents) }
        let model = ConfidenceModel.fit(
            features: served.map(ConfidenceModel.features), labels: labels, using: features)
        let probabilities = served.map { model.probability($0) }

        // High: the lowest threshold above which precision is at least `targetPrecision` with 95% one-sided
        // confidence (Wilson lower bound), so the verbatim band holds up on queries the fit has not seen.
        let ordered = zip(probabilities, labels).sorted { $0.0 > $1.0 }
        var correct = 0
        var high = 1.0
        for (index, (probability, label)) in ordered.enumerated() {
            if label { correct += 1 }
            if wilsonLowerBound(successes: correct, trials: index + 1) >= targetPrecision { high = probability }
        }
        high = max(high, defaultHigh)
        // Each source's in-scope questions, by their position in `evidence`.
        var inScopeBySource: [[Int]] = []
        var start = 0
        for source in sources {
            inScopeBySource.append((start..<start + source.count).filter { evidence[$0].expected != nil })
            start += source.count
        }
        if modelsScope,
            let scope = fitScope(
                evidence, rankings: rankings, inScopeBySource: inScopeBySource, features: features,
                inScopeLoss: inScopeLoss)
        {
            return RetrievalCalibration(
                fusion: fusion, confidence: model, highThreshold: high, midThreshold: 0, scope: scope,
                calibrationQueries: evidence.count, source: source)
        }
        // Mid: the highest threshold whose in-scope loss stays within `inScopeLoss` with 95% one-sided confidence
        // (Wilson upper bound) on every source: a threshold set at exactly the fit's 5% quantile loses more than 5%
        // on the next sample about half the time.
        let mid = lowestThreshold(inScopeBySource.map { $0.map { probabilities[$0] } }, inScopeLoss: inScopeLoss)
            .map { min($0, high) } ?? defaultMid
        return RetrievalCalibration(
            fusion: fusion, confidence: model, highThreshold: high, midThreshold: mid, calibrationQueries: evidence.count,
            source: source)
    }

    /// The candidates with the top one's equivalent groups (near-duplicate topics) left out: a question that lands
    /// between two groups meaning the same is not ambiguous, and should not lose confidence for it.
    public static func withoutEquivalents(
        _ candidates: [GroupCandidate], _ equivalents: [String: Set<String>]
    ) -> [GroupCandidate] {
        guard let top = candidates.first, let twins = equivalents[top.group] else { return candidates }
        return [top] + candidates.dropFirst().filter { !twins.contains($0.group) }
    }

    /// The lowest of each group's mid thresholds (groups without in-scope questions have none); nil when none has.
    static func lowestThreshold(_ inScopeGroups: [[Double]], inScopeLoss: Double) -> Double? {
        inScopeGroups.compactMap { midThreshold(inScope: $0, inScopeLoss: inScopeLoss) }.min()
    }

    /// A model of in scope against out of scope over the same features, and the threshold that keeps all but
    /// `inScopeLoss` of each source's in-scope questions (95% one-sided, as the mid threshold); nil with fewer than
    /// ``ScopeModel/minimumOutOfScopeExamples`` out-of-scope examples or too few in scope.
    static func fitScope(
        _ queries: [ScoredQuery], rankings: [[GroupCandidate]], inScopeBySource: [[Int]], features: Set<String>?,
        inScopeLoss: Double
    ) -> ScopeModel? {
        let labels = queries.map { $0.expected != nil }
        let outOfScope = labels.filter { !$0 }.count
        guard outOfScope >= ScopeModel.minimumOutOfScopeExamples,
            labels.count - outOfScope >= ScopeModel.minimumInScopeExamples
        else { return nil }
        let model = ConfidenceModel.fit(features: rankings.map(ConfidenceModel.features), labels: labels, using: features)
        let groups = inScopeBySource.map { $0.map { model.probability(rankings[$0]) } }
        return lowestThreshold(groups, inScopeLoss: inScopeLoss).map { ScopeModel(model: model, threshold: $0) }
    }

    /// The highest confidence threshold below which at most `inScopeLoss` of in-scope queries like these fall, with
    /// 95% one-sided confidence; nil without in-scope queries.
    public static func midThreshold(inScope probabilities: [Double], inScopeLoss: Double = 0.05) -> Double? {
        let sorted = probabilities.sorted()
        guard !sorted.isEmpty else { return nil }
        var below = 0
        while below + 1 < sorted.count, wilsonUpperBound(successes: below + 1, trials: sorted.count) <= inScopeLoss {
            below += 1
        }
        return sorted[below]
    }

    /// The upper end of the one-sided 95% Wilson score interval for a proportion.
    static func wilsonUpperBound(successes: Int, trials: Int, z: Double = 1.645) -> Double {
        trials > 0 ? wilsonInterval(successes: successes, trials: trials, z: z).upper : 1
    }

    /// The lower end of the one-sided 95% Wilson score interval for a proportion.
    static func wilsonLowerBound(successes: Int, trials: Int, z: Double = 1.645) -> Double {
        trials > 0 ? wilsonInterval(successes: successes, trials: trials, z: z).lower : 0
    }

    private static func wilsonInterval(successes: Int, trials: Int, z: Double) -> (lower: Double, upper: Double) {
        let n = Double(trials)
        let p = Double(successes) / n
        let centre = p + z * z / (2 * n)
        let margin = z * ((p * (1 - p) + z * z / (4 * n)) / n).squareRoot()
        return ((centre - margin) / (1 + z * z / n), (centre + margin) / (1 + z * z / n))
    }

    /// Soft-maximum temperatures the fit tries (in standard deviations of the z-scored fusion).
    public static let poolingTemperatures = [0.25, 0.5, 1, 2]

    /// The fusion with the best recall@1 on the in-scope queries: z-score or convex with the weight in 0, 0.05, …, 1,
    /// z-score pooled over each topic's phrasings with the weight in 0, 0.05, …, 1 and a temperature from
    /// `poolingTemperatures`, z-score with each topic's mean phrasing, or z-score with the index's per-topic model,
    /// the weight in 0, 0.05, …, 1 (ties: the plain z-score and convex fusions first, the weight nearest 0.5 among
    /// them; then the one listed first).
    public static func bestFusion(_ queries: [ScoredQuery]) -> Fusion {
        let inScope = queries.compactMap { query in
            query.expected.flatMap { expected in query.index.groupIndex[expected].map { (query, $0) } }
        }
        var candidates: [(fusion: Fusion, weight: Double)] = []
        for step in 0...20 {
            let weight = Double(step) / 20
            candidates.append((.zScore(weight: weight), weight))
        }
        for step in 0...20 {
            let weight = Double(step) / 20
            candidates.append((.convex(weight: weight), weight))
        }
        for temperature in poolingTemperatures {
            for step in 0...20 {
                let weight = Double(step) / 20
                candidates.append((.pooledZScore(weight: weight, temperature: temperature), weight))
            }
        }
        for step in 0...20 {
            let weight = Double(step) / 20
            candidates.append((.centroidZScore(weight: weight), weight))
        }
        for step in 0...20 {
            let weight = Double(step) / 20
            candidates.append((.classifierZScore(weight: weight), weight))
        }
        var best: (fusion: Fusion, weight: Double, hits: Int) = (.zScore(weight: 0.5), 0.5, -1)
        for (fusion, weight) in candidates {
            let hits = inScope.filter { query, group in query.index.topGroup(query.scores, fusion: fusion) == group }.count
            let simpler = [fusion, best.fusion].allSatisfy {
                $0.poolingTemperature == nil && !$0.scoresCentroids && !$0.scoresByClassifier
            }
            if hits > best.hits || (hits == best.hits && simpler && abs(weight - 0.5) < abs(best.weight - 0.5)) {
                best = (fusion, weight, hits)
            }
        }
        return best.fusion
    }
}
