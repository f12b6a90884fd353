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

/// Everything that turns a ranking into a decision for one knowledge base and embedding model: the fusion,
/// the confidence model and the band thresholds on its probability.
public struct RetrievalCalibration: Sendable, Codable, Hashable {
    public var fusion: Fusion
    /// nil: the fused score itself is the confidence (uncalibrated).
    public var confidence: ConfidenceModel?
    public var highThreshold: Double
    public var midThreshold: Double
    public var calibrationQueries: Int

    public init(fusion: Fusion, confidence: ConfidenceModel?, highThreshold: Double, midThreshold: Double, calibrationQueries: Int = 0) {
        self.fusion = fusion
        self.confidence = confidence
        self.highThreshold = highThreshold
        self.midThreshold = midThreshold
        self.calibrationQueries = calibrationQueries
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
        if confidence >= highThreshold { return .high }
        if confidence >= midThreshold { return .mid }
        return .low
    }

    /// Fits a calibration on labelled queries: the convex weight that maximises recall@1 on the in-scope ones,
    /// a logistic confidence over the ranking features, a high threshold at which the calibration queries reach
    /// `targetPrecision`, and a mid threshold that keeps `inScopeLoss` of in-scope queries above the low band.
    public static func fit(
        retriever: HybridIndex, queries: [PreparedQuery], baseFusion: Fusion? = nil,
        defaultHigh: Double = 0.9, defaultMid: Double = 0.6, targetPrecision: Double = 0.98, inScopeLoss: Double = 0.05
    ) throws -> RetrievalCalibration {
        let fusion = try baseFusion ?? bestConvexFusion(retriever: retriever, queries: queries)
        let rankings = try queries.map { try retriever.rank(terms: $0.terms, vector: $0.vector, fusion: fusion, limit: 5) }
        let labels = zip(queries, rankings).map { query, ranking in
            query.expected != nil && ranking.first?.group == query.expected
        }
        let model = ConfidenceModel.fit(features: rankings.map(ConfidenceModel.features), labels: labels)
        let probabilities = rankings.map { model.probability($0) }

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
        // Mid: in-scope queries below it are at most `inScopeLoss` of all in-scope queries.
        let inScope = zip(queries, probabilities).filter { $0.0.expected != nil }.map(\.1).sorted()
        var mid = defaultMid
        if !inScope.isEmpty {
            let cut = inScope[min(inScope.count - 1, Int(Double(inScope.count) * inScopeLoss))]
            mid = min(cut, high)
        }
        return RetrievalCalibration(
            fusion: fusion, confidence: model, highThreshold: high, midThreshold: mid, calibrationQueries: queries.count)
    }

    /// The lower end of the one-sided 95% Wilson score interval for a proportion.
    static func wilsonLowerBound(successes: Int, trials: Int, z: Double = 1.645) -> Double {
        guard trials > 0 else { return 0 }
        let n = Double(trials)
        let p = Double(successes) / n
        let centre = p + z * z / (2 * n)
        let margin = z * ((p * (1 - p) + z * z / (4 * n)) / n).squareRoot()
        return (centre - margin) / (1 + z * z / n)
    }

    /// The fusion (z-score or convex, weight in 0, 0.025, …, 1) with the best recall@1 on the in-scope queries
    /// (ties: z-score first, then the weight nearest 0.5).
    public static func bestConvexFusion(retriever: HybridIndex, queries: [PreparedQuery]) throws -> Fusion {
        let inScope = queries.filter { $0.expected != nil }
        var best: (fusion: Fusion, weight: Double, hits: Int) = (.zScore(weight: 0.5), 0.5, -1)
        for family in [Fusion.zScore(weight:), Fusion.convex(weight:)] {
            for step in 0...40 {
                let weight = Double(step) / 40
                let fusion = family(weight)
                let hits = try inScope.filter {
                    try retriever.rank(terms: $0.terms, vector: $0.vector, fusion: fusion, limit: 1).first?.group == $0.expected
                }.count
                if hits > best.hits || (hits == best.hits && abs(weight - 0.5) < abs(best.weight - 0.5)) {
                    best = (fusion, weight, hits)
                }
            }
        }
        return best.fusion
    }
}
