import Foundation
import VividCrowdCore

/// How E5-style prefixes are chosen for knowledge-base phrasings (queries always use "query").
public enum PrefixMode: String, Sendable, Codable, CaseIterable {
    /// Phrasings embedded as queries too: both sides are short questions.
    case symmetric
    /// Phrasings embedded as passages.
    case asymmetric

    var phrasingInputType: String { self == .symmetric ? "query" : "passage" }

    /// The prefix the product embeds knowledge-base phrasings with.
    public static var product: PrefixMode {
        CustomerServiceMatcher.defaultInputType == "query" ? .symmetric : .asymmetric
    }
}

/// One method's result on one suite.
public struct MethodResult: Sendable, Codable {
    public var method: String
    public var fusion: Fusion
    public var calibration: RetrievalCalibration
    public var quality: RetrievalQuality
    /// Ranking time per query in milliseconds, in query order.
    public var latenciesMs: [Double]
    /// Out-of-scope rejection, in-scope loss and the high band on the measured queries of calibrations fitted on
    /// folds of the fit data (each leaving one fold out): how far the thresholds move with the sample fitted on.
    public var foldFits: FoldFits?
}

/// The spread of a calibration's thresholds over fits on different samples, measured on one held-apart split.
public struct FoldFits: Sendable, Codable {
    public var folds: Int
    /// Per fit: out-of-scope queries rejected (nil without any).
    public var oosRejected: [Double?]
    /// Per fit: in-scope queries lost below the mid threshold.
    public var inScopeLost: [Double]
    /// Per fit: the share of the measured queries in the high band.
    public var highCoverage: [Double]
    /// Per fit: the high band's precision (nil when it is empty).
    public var highPrecision: [Double?]

    enum CodingKeys: String, CodingKey {
        case folds
        case oosRejected = "oos_rejected"
        case inScopeLost = "in_scope_lost"
        case highCoverage = "high_coverage"
        case highPrecision = "high_precision"
    }

    /// Fits `fit` on each of `folds` subsets of `queries` (each leaving one fold out) and measures each on `measured`.
    static func measure(
        _ queries: [ScoredQuery], folds: Int = 5, measured: [PreparedQuery], retriever: HybridIndex,
        fit: ([ScoredQuery]) -> RetrievalCalibration?
    ) throws -> FoldFits? {
        var fits = FoldFits(folds: folds, oosRejected: [], inScopeLost: [], highCoverage: [], highPrecision: [])
        for fold in 0..<folds {
            let subset = queries.enumerated().filter { $0.offset % folds != fold }.map(\.element)
            guard let calibration = fit(subset) else { return nil }
            let quality = try RetrievalEvaluator.evaluate(retriever: retriever, calibration: calibration, queries: measured).quality
            let high = quality.bands[MatchBand.high.rawValue] ?? RetrievalQuality.Band()
            fits.oosRejected.append(quality.oosRecall)
            fits.inScopeLost.append(quality.inScopeLoss)
            fits.highCoverage.append(Double(high.count) / Double(max(measured.count, 1)))
            fits.highPrecision.append(high.count > 0 ? high.precision : nil)
        }
        return fits
    }
}

/// Runs a knowledge base and labelled queries through BM25, dense, the original VividCrowd fusion and the
/// calibrated hybrid: the engine behind `vividcrowd-bench retrieval`.
public struct RetrievalBenchmark: Sendable {
    public enum Method: String, Sendable, CaseIterable, Codable {
        case bm25, dense
        /// The product's default for a knowledge base with no calibration.
        case uncalibrated = "hybrid-default"
        /// Calibrated from the knowledge base's own phrasings, as an import does.
        case selfCalibrated = "hybrid-self"
        /// Calibrated on the labelled calibration queries, as `calibrate-kb` does.
        case hybrid
        /// The original VividCrowd formula and thresholds.
        case vividcrowd
    }

    public let tokenizer: SearchTokenizer
    public let client: LLMClient
    public let embeddingModel: String?

    public init(tokenizer: SearchTokenizer, client: LLMClient, embeddingModel: String? = nil) {
        self.tokenizer = tokenizer
        self.client = client
        self.embeddingModel = embeddingModel
    }

    /// Vectors for knowledge-base phrasings (embedded per `prefix`) and for queries, each text once.
    public struct Vectors: Sendable {
        public var phrasings: [String: [Float]]
        public var queries: [String: [Float]]
    }

    /// Embeds the given phrasings and query texts, each set in one canonical batch sequence.
    public func embed(phrasings: [String], queries: [String], prefix: PrefixMode) async throws -> Vectors {
        Vectors(
            phrasings: try await EmbeddingTable.embed(
                phrasings, inputType: prefix.phrasingInputType, client: client, model: embeddingModel),
            queries: try await EmbeddingTable.embed(queries, inputType: "query", client: client, model: embeddingModel))
    }

    /// Vectors for both prefix modes with every text embedded once per input type: query-type vectors serve
    /// the queries and the symmetric phrasings, passage-type vectors the asymmetric phrasings.
    public func embedForBothPrefixes(phrasings: [String], queries: [String]) async throws -> [PrefixMode: Vectors] {
        let queryTable = try await EmbeddingTable.embed(
            phrasings + queries, inputType: "query", client: client, model: embeddingModel)
        let passageTable = try await EmbeddingTable.embed(
            phrasings, inputType: "passage", client: client, model: embeddingModel)
        return [
            .symmetric: Vectors(phrasings: queryTable, queries: queryTable),
            .asymmetric: Vectors(phrasings: passageTable, queries: queryTable),
        ]
    }

    /// Embeds and indexes everything, calibrates each method on `calibration` (when given) and measures on `queries`.
    public func run(
        entries: [KnowledgeEntry], queries: [LabelledQuery], calibration: [LabelledQuery], methods: [Method],
        prefix: PrefixMode, defaultCalibration: RetrievalCalibration
    ) async throws -> [MethodResult] {
        let vectors = try await embed(
            phrasings: KnowledgeEntry.phrasings(of: entries), queries: queries.map(\.query) + calibration.map(\.query),
            prefix: prefix)
        return try run(
            entries: entries, queries: queries, calibration: calibration, methods: methods, vectors: vectors,
            defaultCalibration: defaultCalibration)
    }

    /// Indexes, calibrates and measures with vectors already at hand.
    public func run(
        entries: [KnowledgeEntry], queries: [LabelledQuery], calibration: [LabelledQuery], methods: [Method],
        vectors: Vectors, defaultCalibration: RetrievalCalibration
    ) throws -> [MethodResult] {
        let phrasings = KnowledgeEntry.phrasings(of: entries)
        let phrasingVectors = vectors.phrasings
        let queryVectors = vectors.queries
        func vector(_ text: String, in table: [String: [Float]]) throws -> [Float] {
            guard let vector = table[text] else { throw MissingVector(text: text) }
            return vector
        }
        let unitVectors = try phrasings.map { try vector($0, in: phrasingVectors) }
        let retriever = try HybridIndex(knowledgeBase: entries, vectors: unitVectors, tokenizer: tokenizer)
        let prepare = { (labelled: [LabelledQuery]) in
            try labelled.map {
                PreparedQuery(
                    text: $0.query, terms: self.tokenizer.terms($0.query), vector: try vector($0.query, in: queryVectors),
                    expected: $0.expected)
            }
        }
        let evaluationQueries = try prepare(queries)
        let calibrationQueries = try prepare(calibration)
        let (defaultHigh, defaultMid) = defaultCalibration.fitFloors
        // The knowledge base's phrasings held out as questions, once: what self-calibration fits on, and evidence
        // beside the labelled questions (as an import and `calibrate-kb` use them).
        let needsHeldOut = methods.contains { $0 == .selfCalibrated || $0 == .hybrid }
        let heldOut = needsHeldOut
            ? try KnowledgeEntry.heldOutQueries(of: entries, vectors: unitVectors, tokenizer: tokenizer) : []
        return try methods.map { method in
            let chosen: RetrievalCalibration
            var foldFits: FoldFits?
            switch method {
            case .uncalibrated: chosen = defaultCalibration
            case .selfCalibrated:
                let fitSelf = { (queries: [ScoredQuery]) in
                    SelfCalibration.fit(heldOut: queries, defaultHigh: defaultHigh, defaultMid: defaultMid)
                }
                chosen = fitSelf(heldOut) ?? defaultCalibration
                if chosen.source == .selfFitted {
                    foldFits = try FoldFits.measure(heldOut, measured: evaluationQueries, retriever: retriever, fit: fitSelf)
                }
            default:
                chosen = try Self.calibration(
                    for: method, retriever: retriever, calibrationQueries: calibrationQueries,
                    phrasings: method == .hybrid ? heldOut : [], defaultCalibration: defaultCalibration)
                if method == .hybrid, !calibrationQueries.isEmpty {
                    let scored = try calibrationQueries.map {
                        ScoredQuery(
                            index: retriever, scores: try retriever.scores(terms: $0.terms, vector: $0.vector),
                            expected: $0.expected)
                    }
                    foldFits = try FoldFits.measure(scored, measured: evaluationQueries, retriever: retriever) {
                        RetrievalCalibration.fit(
                            scored: $0, phrasings: heldOut, defaultHigh: defaultHigh, defaultMid: defaultMid,
                            source: .labelled)
                    }
                }
            }
            let (quality, latencies) = try RetrievalEvaluator.evaluate(
                retriever: retriever, calibration: chosen, queries: evaluationQueries)
            return MethodResult(
                method: method.rawValue, fusion: chosen.fusion, calibration: chosen, quality: quality,
                latenciesMs: latencies.map { $0.seconds * 1000 }, foldFits: foldFits)
        }
    }

    /// The calibration each method is measured with: the original formula keeps its fixed thresholds; the
    /// others are fitted on the calibration queries when there are any.
    static func calibration(
        for method: Method, retriever: HybridIndex, calibrationQueries: [PreparedQuery], phrasings: [ScoredQuery] = [],
        defaultCalibration: RetrievalCalibration
    ) throws -> RetrievalCalibration {
        let (defaultHigh, defaultMid) = defaultCalibration.fitFloors
        let original = RetrievalCalibration.originalThresholds
        let base: Fusion?
        switch method {
        case .vividcrowd:
            return RetrievalCalibration(
                fusion: .vividcrowd(bm25Weight: 0.6, embeddingWeight: 0.4), confidence: nil,
                highThreshold: original.high, midThreshold: original.mid)
        case .bm25: base = .bm25
        case .dense: base = .dense
        case .hybrid, .uncalibrated, .selfCalibrated: base = nil
        }
        guard !calibrationQueries.isEmpty else {
            guard let base else { return defaultCalibration }
            return RetrievalCalibration(
                fusion: base, confidence: nil, highThreshold: original.high, midThreshold: original.mid)
        }
        return try RetrievalCalibration.fit(
            retriever: retriever, queries: calibrationQueries, phrasings: phrasings, baseFusion: base,
            defaultHigh: defaultHigh, defaultMid: defaultMid)
    }
}

/// A text the benchmark has no vector for (the vectors were embedded for another suite or another split).
public struct MissingVector: Error, CustomStringConvertible, Sendable {
    public let text: String
    public init(text: String) { self.text = text }
    public var description: String { "no vector for \"\(text.prefix(60))\"; embed the suite again" }
}
