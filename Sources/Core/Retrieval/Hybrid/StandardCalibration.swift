extension RetrievalCalibration {
    /// The calibration of a knowledge base that has none of its own (one phrasing per topic, no labelled questions),
    /// fitted by `vividcrowd-bench default-calibration` on the dev suites' calibration splits (reports/
    /// default-calibration.md): z-scored fusion with a small BM25 share, which ranks at or above both BM25 and dense
    /// alone on every dev suite in 1-shot and 10-shot form, and a confidence model over features that do not depend
    /// on the embedding model's similarity range (z-scores, BM25 over its attainable maximum, agreement), so it
    /// carries over from the e5 model it was fitted with to others.
    public static let standard = RetrievalCalibration(
        fusion: .pooledZScore(weight: 0.05, temperature: 1.0),
        confidence: ConfidenceModel(
            means: [3.54525, 1.09981, 0, 0, 0.452023, 4.06751, 0.612458],
            scales: [1.05634, 0.9862, 1, 1, 0.289755, 1.28914, 0.487189],
            weights: [1.2581, -0.225797, 1.03246, 0, 0, 0.624964, 0.75808, 0.200082]),
        highThreshold: 0.9816, midThreshold: 0.1393,
        calibrationQueries: 6020, source: .default)
}
