import Foundation
import VividCrowdCore

/// Fits a twin's evidence gate on labelled questions of prepared suites: the z-score fusion weight with the best
/// recall@1, a logistic model of "the document covers this question" over the ranking features, and the threshold
/// that refuses at most `answerableRefusal` of the answerable questions of any one suite.
public enum EvidenceCalibration {
    /// Whether a document belongs to the calibration half of a split of the dev suites: a stable hash of its name,
    /// so the same documents are chosen on every machine.
    public static func isCalibrationDocument(_ name: String) -> Bool {
        FNV.hash(name) % 2 == 0
    }

    /// Restricts a prepared suite to the calibration half (`calibration` true) or the other half of its documents.
    public static func half(_ prepared: TwinsBenchmark.Prepared, calibration: Bool) -> TwinsBenchmark.Prepared {
        var result = prepared.keeping(documents: { isCalibrationDocument($0) == calibration })
        result.suite.documents = prepared.suite.documents.filter { isCalibrationDocument($0) == calibration }
        result.indexes = prepared.indexes.filter { isCalibrationDocument($0.key) == calibration }
        return result
    }

    /// One gate per document language found in `suites`, each fitted on that language's documents only.
    public static func fitPerLanguage(
        _ suites: [TwinsBenchmark.Prepared], benchmark: TwinsBenchmark, embeddingModel: String?, answerableRefusal: Double = 0.03
    ) throws -> EvidenceGates {
        var gates = EvidenceGates()
        for language in Set(suites.flatMap(\.languages.values)).sorted() {
            let restricted = suites.map { restrict($0, language: language) }.filter { !$0.suite.queries.isEmpty }
            gates.byLanguage[language] = try fit(
                restricted, benchmark: benchmark, embeddingModel: embeddingModel, answerableRefusal: answerableRefusal)
        }
        return gates
    }

    /// A prepared suite cut to the questions about documents in `language`.
    static func restrict(_ prepared: TwinsBenchmark.Prepared, language: String) -> TwinsBenchmark.Prepared {
        prepared.keeping(documents: { prepared.languages[$0] == language })
    }

    public static func fit(
        _ suites: [TwinsBenchmark.Prepared], benchmark: TwinsBenchmark, embeddingModel: String?,
        answerableRefusal: Double = 0.03
    ) throws -> EvidenceGate {
        // The weight: best recall@1 over the answerable questions of every suite, each suite weighted equally.
        var best: (weight: Double, score: Double) = (0.5, -1)
        let weights = suites.allSatisfy(\.hasVectors) ? stride(from: 0.0, through: 1.0, by: 0.05).map { $0 } : [1.0]
        for weight in weights {
            let gate = EvidenceGate(fusion: .zScore(weight: weight), model: nil, threshold: 0, embeddingModel: nil, calibrationQueries: 0)
            var score = 0.0
            for prepared in suites {
                let answerable = try benchmark.outcomes(prepared, gates: EvidenceGates(fallback: gate), rankLimit: 1).filter(\.query.isAnswerable)
                score += answerable.isEmpty ? 0 : Double(answerable.filter { $0.rank == 1 }.count) / Double(answerable.count)
            }
            if score > best.score + 1e-9 || (abs(score - best.score) <= 1e-9 && abs(weight - 0.5) < abs(best.weight - 0.5)) {
                best = (weight, score)
            }
        }
        let fusion = Fusion.zScore(weight: best.weight)
        var features: [[Double]] = []
        var labels: [Bool] = []
        var suiteOf: [Int] = []
        for (suiteIndex, prepared) in suites.enumerated() {
            for (position, query) in prepared.suite.queries.enumerated() {
                guard let index = prepared.indexes[query.doc] else { continue }
                let ranking = try index.search(
                    terms: prepared.queryTerms[position], vector: prepared.queryVectors[position], fusion: fusion, limit: 5)
                features.append(ConfidenceModel.features(ranking.candidates))
                labels.append(query.isAnswerable)
                suiteOf.append(suiteIndex)
            }
        }
        let model = ConfidenceModel.fit(features: features, labels: labels)
        // The threshold refuses at most `answerableRefusal` of the answerable questions of every suite, so the
        // largest suite does not set it for all (each language and kind of document has its own score range).
        var threshold = 1.0
        for suiteIndex in suites.indices {
            let answerable = features.indices.filter { labels[$0] && suiteOf[$0] == suiteIndex }
                .map { model.probability(features: features[$0]) }.sorted()
            guard !answerable.isEmpty else { continue }
            threshold = min(threshold, answerable[min(answerable.count - 1, Int(Double(answerable.count) * answerableRefusal))])
        }
        if threshold == 1.0, labels.allSatisfy({ !$0 }) { threshold = 0.5 }
        return EvidenceGate(
            fusion: fusion, model: model, threshold: threshold, embeddingModel: embeddingModel, calibrationQueries: labels.count)
    }
}

extension TwinsBenchmark.Prepared {
    /// The prepared suite with only the questions about documents `keep` accepts (their terms and vectors with them).
    func keeping(documents keep: (String) -> Bool) -> TwinsBenchmark.Prepared {
        var result = self
        let kept = suite.queries.indices.filter { keep(suite.queries[$0].doc) }
        result.suite.queries = kept.map { suite.queries[$0] }
        result.queryTerms = kept.map { queryTerms[$0] }
        result.queryVectors = kept.map { queryVectors[$0] }
        return result
    }
}
