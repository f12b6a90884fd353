import Foundation
import VividCrowdCore

/// Quality of one retrieval method on labelled queries.
public struct RetrievalQuality: Sendable, Codable, Equatable {
    /// Count and top-1 precision of the queries that landed in one band.
    public struct Band: Sendable, Codable, Equatable {
        public var count: Int
        public var correct: Int
        public var outOfScope: Int
        public var precision: Double? { count - outOfScope > 0 || count > 0 ? Double(correct) / Double(max(count, 1)) : nil }

        enum CodingKeys: String, CodingKey { case count, correct, outOfScope = "out_of_scope", precision }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(count, forKey: .count)
            try container.encode(correct, forKey: .correct)
            try container.encode(outOfScope, forKey: .outOfScope)
            try container.encode(precision, forKey: .precision)
        }

        public init(count: Int = 0, correct: Int = 0, outOfScope: Int = 0) {
            self.count = count
            self.correct = correct
            self.outOfScope = outOfScope
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            count = try container.decode(Int.self, forKey: .count)
            correct = try container.decode(Int.self, forKey: .correct)
            outOfScope = try container.decode(Int.self, forKey: .outOfScope)
        }
    }

    public var inScopeQueries: Int
    public var outOfScopeQueries: Int
    public var recallAt1: Double
    public var recallAt5: Double
    public var mrr: Double
    /// Share of out-of-scope queries that fell below the mid threshold (low band or no match); nil without any.
    public var oosRecall: Double?
    /// Share of in-scope queries that fell below the mid threshold.
    public var inScopeLoss: Double
    /// Out-of-scope rejection at the confidence that loses exactly 5% of in-scope queries (a point on the
    /// rejection curve, independent of the chosen thresholds); nil without out-of-scope queries.
    public var oosRecallAt5PercentLoss: Double?
    public var bands: [String: Band]

    enum CodingKeys: String, CodingKey {
        case inScopeQueries = "in_scope_queries"
        case outOfScopeQueries = "out_of_scope_queries"
        case recallAt1 = "recall_at_1"
        case recallAt5 = "recall_at_5"
        case mrr
        case oosRecall = "oos_recall"
        case inScopeLoss = "in_scope_loss"
        case oosRecallAt5PercentLoss = "oos_recall_at_5pct_loss"
        case bands
    }
}

/// Runs labelled queries through a retriever and a calibration.
public enum RetrievalEvaluator {
    /// Quality of `calibration` on `queries`, and each query's ranking time (tokenised terms and vectors given).
    public static func evaluate(
        retriever: HybridIndex, calibration: RetrievalCalibration, queries: [PreparedQuery],
        clock: any Clock<Duration> = ContinuousClock()
    ) throws -> (quality: RetrievalQuality, latencies: [Duration]) {
        var hitsAt1 = 0
        var hitsAt5 = 0
        var reciprocalRanks = 0.0
        var inScope = 0
        var outOfScope = 0
        var oosRejected = 0
        var inScopeLost = 0
        var bands = Dictionary(uniqueKeysWithValues: MatchBand.allCases.map { ($0.rawValue, RetrievalQuality.Band()) })
        var latencies: [Duration] = []
        latencies.reserveCapacity(queries.count)
        var inScopeConfidences: [Double] = []
        var outOfScopeConfidences: [Double] = []
        for query in queries {
            let elapsed = startStopwatch(on: clock)
            let ranking = try retriever.rank(terms: query.terms, vector: query.vector, fusion: calibration.fusion, limit: 5)
            let confidence = calibration.confidence(for: ranking)
            let band = calibration.band(for: ranking, confidence: confidence)
            latencies.append(elapsed())
            let rejected = band == .low || band == .noMatch
            // What turns questions away: the scope model's probability when there is one, else the confidence.
            let inScopeScore = calibration.scope.map { $0.model.probability(ranking) } ?? confidence
            let correct = query.expected != nil && ranking.first?.group == query.expected
            bands[band.rawValue, default: RetrievalQuality.Band()].count += 1
            if correct { bands[band.rawValue, default: RetrievalQuality.Band()].correct += 1 }
            guard let expected = query.expected else {
                outOfScopeConfidences.append(inScopeScore)
                outOfScope += 1
                bands[band.rawValue, default: RetrievalQuality.Band()].outOfScope += 1
                if rejected { oosRejected += 1 }
                continue
            }
            inScope += 1
            inScopeConfidences.append(inScopeScore)
            if rejected { inScopeLost += 1 }
            if let rank = ranking.firstIndex(where: { $0.group == expected }) {
                if rank == 0 { hitsAt1 += 1 }
                hitsAt5 += 1
                reciprocalRanks += 1 / Double(rank + 1)
            }
        }
        let denominator = Double(max(inScope, 1))
        var oosAt5: Double?
        if !outOfScopeConfidences.isEmpty, !inScopeConfidences.isEmpty {
            let sorted = inScopeConfidences.sorted()
            let cut = sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.05))]
            oosAt5 = Double(outOfScopeConfidences.filter { $0 < cut }.count) / Double(outOfScopeConfidences.count)
        }
        let quality = RetrievalQuality(
            inScopeQueries: inScope, outOfScopeQueries: outOfScope,
            recallAt1: Double(hitsAt1) / denominator, recallAt5: Double(hitsAt5) / denominator,
            mrr: reciprocalRanks / denominator,
            oosRecall: outOfScope > 0 ? Double(oosRejected) / Double(outOfScope) : nil,
            inScopeLoss: Double(inScopeLost) / denominator, oosRecallAt5PercentLoss: oosAt5, bands: bands)
        return (quality, latencies)
    }
}
