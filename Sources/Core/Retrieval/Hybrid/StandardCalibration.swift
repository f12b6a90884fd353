extension RetrievalCalibration {
    /// The calibration of a knowledge base that has none of its own (one phrasing per topic, no labelled questions),
    /// fitted by `vividcrowd-bench default-calibration` on the dev suites' calibration splits (reports/
    /// default-calibration.md): z-scored fusion with a 0.3 BM25 share (BM25 over phrasings and the topic's name),
    /// the best mean recall among fusions that rank at or above both BM25 and dense alone on every dev suite in
    /// 1-shot and 10-shot form, and a confidence model over features that do not depend on the embedding model's
    /// similarity range (z-scores, BM25 over its attainable maximum, agreement), so it carries over from the e5
    /// model it was fitted with to others.
    public static let standard = RetrievalCalibration(
        fusion: .pooledZScore(weight: 0.3, temperature: 0.5),
        confidence: ConfidenceModel(
            means: [4.20386, 1.56243, 0, 0, 0.514344, 3.94943, 0.597176],
            scales: [1.36269, 1.37233, 1, 1, 0.257048, 1.42064, 0.490466],
            weights: [1.38925, -0.269696, 1.02849, 0, 0, 0.513947, 0.776547, 0.22419]),
        highThreshold: 1.0000, midThreshold: 0.1686,
        calibrationQueries: 6020, source: .default)
}
