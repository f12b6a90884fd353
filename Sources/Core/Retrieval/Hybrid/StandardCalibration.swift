extension RetrievalCalibration {
    /// The calibration of a knowledge base that has none of its own (one phrasing per topic, no labelled questions),
    /// fitted by `vividcrowd-bench default-calibration` on the dev suites' calibration splits (reports/
    /// default-calibration.md): z-scored fusion with a small BM25 share, which ranks at or above both BM25 and dense
    /// alone on every dev suite in 1-shot and 10-shot form, and a confidence model over features that do not depend
    /// on the embedding model's similarity range (z-scores, BM25 over its attainable maximum, agreement), so it
    /// carries over from the e5 model it was fitted with to others.
    public static let standard = RetrievalCalibration(
        fusion: .zScore(weight: 0.05),
        confidence: ConfidenceModel(
            means: [4.14706, 1.17101, 0, 0, 0.448758, 4.09304, 0.626246],
            scales: [1.30705, 1.06751, 1, 1, 0.288802, 1.28146, 0.4838],
            weights: [1.16089, -0.154212, 1.07217, 0, 0, 0.636089, 0.57227, 0.250042]),
        highThreshold: 0.9953, midThreshold: 0.1452,
        calibrationQueries: 6020, source: .default)
}
