import Foundation

/// Decides whether a twin's document covers a question, from the retrieval evidence alone: a twin refuses in
/// character rather than answer from passages that do not hold the answer.
///
/// Calibrated, it is a logistic model over the ranking's features fitted on labelled questions (answerable ones
/// against questions of other documents and withheld passages), thresholded where a set share of answerable questions
/// would be refused. Uncalibrated, it is the documented default: the share of the question's attainable BM25 that the
/// best chunk reaches, which needs no embedding model.
public struct EvidenceGate: Sendable, Codable, Hashable {
    /// How lexical and dense scores are fused to rank chunks.
    public var fusion: Fusion
    /// The fitted model; nil for the lexical default.
    public var model: ConfidenceModel?
    /// Questions whose evidence falls below this are refused.
    public var threshold: Double
    /// The embedding model the calibration saw (cosines of another model live on another scale).
    public var embeddingModel: String?
    /// How many labelled questions the calibration used.
    public var calibrationQueries: Int

    public init(fusion: Fusion, model: ConfidenceModel?, threshold: Double, embeddingModel: String?, calibrationQueries: Int) {
        self.fusion = fusion
        self.model = model
        self.threshold = threshold
        self.embeddingModel = embeddingModel
        self.calibrationQueries = calibrationQueries
    }

    /// The uncalibrated gate: z-score fusion, refusing when the best chunk reaches less than `threshold` of the
    /// question's attainable BM25 score.
    public static func lexical(threshold: Double = EvidenceGate.defaultLexicalThreshold) -> EvidenceGate {
        EvidenceGate(fusion: .zScore(weight: 0.5), model: nil, threshold: threshold, embeddingModel: nil, calibrationQueries: 0)
    }

    /// The default share of attainable BM25 below which an uncalibrated twin refuses.
    public static let defaultLexicalThreshold = 0.3

    /// How strongly the ranking says the document covers the question, 0...1.
    public func evidence(_ candidates: [GroupCandidate]) -> Double {
        guard let top = candidates.first else { return 0 }
        if let model { return model.probability(candidates) }
        return Double(candidates.map(\.bm25Normalised).max() ?? top.bm25Normalised)
    }

    /// Whether the ranking is evidence enough to answer.
    public func covers(_ candidates: [GroupCandidate]) -> Bool { evidence(candidates) >= threshold }

    /// This gate if it was calibrated for `embeddingModel`, otherwise the lexical default (a model fitted on one
    /// embedding model's cosines says nothing about another's).
    public func applicable(to embeddingModel: String) -> EvidenceGate {
        model == nil || self.embeddingModel == embeddingModel ? self : .lexical()
    }
}

/// One evidence gate per document language ("zh", "en"): evidence scores of Chinese and English documents live on
/// different scales, so each language is calibrated on its own; a language without a gate uses `fallback`.
public struct EvidenceGates: Sendable, Codable, Hashable {
    public var byLanguage: [String: EvidenceGate]
    public var fallback: EvidenceGate

    public init(byLanguage: [String: EvidenceGate] = [:], fallback: EvidenceGate = .lexical()) {
        self.byLanguage = byLanguage
        self.fallback = fallback
    }

    /// The uncalibrated default for every language.
    public static let lexical = EvidenceGates()

    /// The gate for a document in `language`.
    public func gate(for language: String) -> EvidenceGate { byLanguage[language] ?? fallback }

    /// These gates with every one fitted for another embedding model replaced by the lexical default.
    public func applicable(to embeddingModel: String) -> EvidenceGates {
        EvidenceGates(byLanguage: byLanguage.mapValues { $0.applicable(to: embeddingModel) }, fallback: fallback.applicable(to: embeddingModel))
    }

    /// The gates stored at `path`, if that file exists; a file that does not decode is an error naming it.
    public static func load(path: String) throws -> EvidenceGates? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            return try JSONDecoder().decode(EvidenceGates.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw ConfigurationError(variable: "TWIN_EVIDENCE_GATE", value: path, expectation: "an evidence gate JSON file (\(error))")
        }
    }
}

extension DocumentText {
    /// "zh" when the document's opening is Chinese, otherwise "en": the language a twin answers in and is gated by.
    public var language: String { MessageText.isChinese(String(fullText.prefix(2_000))) ? "zh" : "en" }
}
