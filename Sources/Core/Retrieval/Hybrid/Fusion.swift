import Foundation

/// How lexical and dense similarity become one ranking score.
public enum Fusion: Sendable, Hashable, Codable {
    /// BM25 alone, divided by the query's maximum attainable BM25 score.
    case bm25
    /// Cosine similarity alone.
    case dense
    /// The original VividCrowd formula: bm25Weight × BM25 / (the query's top BM25) + embeddingWeight × (cos + 1) / 2.
    /// Every query's top BM25 candidate gets the full bm25Weight, which is why its scores carry no confidence.
    case vividcrowd(bm25Weight: Double, embeddingWeight: Double)
    /// weight × BM25 / (the query's maximum attainable BM25) + (1 − weight) × cosine.
    case convex(weight: Double)
    /// weight × z(BM25) + (1 − weight) × z(cosine), each standardised over the knowledge base for this query:
    /// both scales become "how far above the crowd", whatever the embedding model's similarity range.
    case zScore(weight: Double)
    /// The z-score fusion with each group scored from all its units, not only its best: the log of the mean of
    /// exp(fused / temperature) over the group's units, times the temperature (the maximum as it nears 0, the mean as
    /// it grows; in standard deviations, the z-scores' unit). A topic several phrasings point at outranks one that a
    /// single phrasing happens to match.
    case pooledZScore(weight: Double, temperature: Double)
    /// weight × z(BM25) + (1 − weight) × z(the cosine with the group's mean phrasing), the latter standardised over
    /// the groups: a topic is scored as the centre of its phrasings (the mean of their unit vectors, normalised), which
    /// weighs every phrasing alike and no longer favours topics whose phrasings are spread wide.
    case centroidZScore(weight: Double)
    /// weight × z(BM25) + (1 − weight) × z(the group's score under a linear model per topic, trained on the index's
    /// phrasings), standardised over the groups: the mean phrasing, moved to tell each topic from its neighbours.
    case classifierZScore(weight: Double)

    /// Whether groups are scored by their mean phrasing rather than their best unit.
    public var scoresCentroids: Bool {
        if case .centroidZScore = self { return true }
        return false
    }

    /// Whether groups are scored by the index's per-topic model rather than their best unit.
    public var scoresByClassifier: Bool {
        if case .classifierZScore = self { return true }
        return false
    }

    /// The temperature of the soft maximum over a group's units; nil: the best unit alone.
    public var poolingTemperature: Double? {
        if case .pooledZScore(_, let temperature) = self, temperature > 0 { return temperature }
        return nil
    }

    /// A short name for reports.
    public var name: String {
        switch self {
        case .bm25: return "bm25"
        case .dense: return "dense"
        case .vividcrowd: return "vividcrowd"
        case .convex, .zScore, .pooledZScore, .centroidZScore, .classifierZScore: return "hybrid"
        }
    }

    /// The scoring formula with its weights, for reports.
    public var formula: String {
        switch self {
        case .bm25: return "BM25 / max attainable"
        case .dense: return "cosine"
        case .vividcrowd(let lexical, let dense): return "original: \(lexical)·BM25/top + \(dense)·(cos+1)/2"
        case .convex(let weight): return String(format: "%.3f·BM25/max + %.3f·cos", weight, 1 - weight)
        case .zScore(let weight): return String(format: "%.3f·z(BM25) + %.3f·z(cos)", weight, 1 - weight)
        case .pooledZScore(let weight, let temperature):
            return String(format: "%.3f·z(BM25) + %.3f·z(cos), soft max over phrasings (τ %.2f)", weight, 1 - weight, temperature)
        case .centroidZScore(let weight):
            return String(format: "%.3f·z(BM25) + %.3f·z(cos with the topic's mean phrasing)", weight, 1 - weight)
        case .classifierZScore(let weight):
            return String(format: "%.3f·z(BM25) + %.3f·z(per-topic model over the phrasings)", weight, 1 - weight)
        }
    }
}
