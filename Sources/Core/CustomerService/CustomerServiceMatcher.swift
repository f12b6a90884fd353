import Foundation

/// One match decision: the ranked topics, the confidence in the top one and the band it puts the reply in.
public struct CustomerServiceMatch: Sendable {
    public var band: MatchBand
    public var confidence: Double
    /// Best first; empty when the knowledge base is empty.
    public var candidates: [GroupCandidate]
    /// The stored entry of the top candidate.
    public var entry: StoredQAEntry?
    /// Stored entries of the next candidates, for "did you mean" suggestions.
    public var alternatives: [StoredQAEntry]
}

/// Matches questions against the stored knowledge base with the hybrid retriever. The index is cached per corpus
/// version, which every import and calibration bumps in its own transaction: whichever process changed the store,
/// the next match here sees it. Ranking runs outside the actor, so matches do not queue behind one another.
public actor CustomerServiceMatcher {
    /// Phrasings and queries are both short questions, so both are embedded as queries.
    public static let defaultInputType = "query"

    private let store: any CustomerServiceStore
    private let embedder: CachingEmbedder
    private let tokenizer: SearchTokenizer
    private let defaultCalibration: RetrievalCalibration
    private let inputType: String?
    /// When the knowledge base is large enough for an HNSW graph, and where it is kept.
    private let denseSearch: DenseSearchPolicy
    /// The index being or already built for a corpus version; one build serves every match that waits for it.
    private var index: (version: Int, build: Task<KnowledgeIndex, any Error>)?

    private struct KnowledgeIndex: Sendable {
        var retriever: HybridIndex?
        var verbatim: VerbatimLookup?
        var entries: [StoredQAEntry]
        var calibration: RetrievalCalibration
        /// For each topic, the topics it nearly duplicates (`KnowledgeBaseCheck`).
        var nearDuplicates: [String: Set<String>] = [:]
    }

    /// A matcher that uses the calibration stored for its embedding model, or `defaultCalibration` until one is fitted.
    public init(
        store: any CustomerServiceStore, embedder: CachingEmbedder, tokenizer: SearchTokenizer,
        defaultCalibration: RetrievalCalibration, inputType: String? = defaultInputType,
        denseSearch: DenseSearchPolicy = DenseSearchPolicy()
    ) {
        self.denseSearch = denseSearch.forCorpus("knowledge-base")
        self.store = store
        self.embedder = embedder
        self.tokenizer = tokenizer
        self.defaultCalibration = defaultCalibration
        self.inputType = inputType
    }

    /// The calibration matches use now.
    public func currentCalibration() async throws -> RetrievalCalibration { try await currentIndex().calibration }

    /// Fits the fusion weight, the confidence model and the band thresholds on labelled questions (disjoint from
    /// anything you will measure on), stores them for this knowledge base and embedding model, and uses them.
    public func calibrate(_ queries: [LabelledQuery], at date: Date = Date()) async throws -> RetrievalCalibration {
        let current = try await currentIndex()
        guard let retriever = current.retriever else { throw CalibrationError.emptyKnowledgeBase }
        let labelled = queries.filter { $0.expected != nil }
        guard labelled.count >= 20 else { throw CalibrationError.tooFewQueries(labelled.count) }
        let unknown = Set(labelled.compactMap(\.expected)).subtracting(retriever.groups)
        guard unknown.isEmpty else { throw CalibrationError.unknownTopics(unknown.sorted()) }
        let vectors = try await embedder.embed(queries.map(\.query), inputType: inputType)
        let prepared = zip(queries, vectors).map { query, vector in
            PreparedQuery(text: query.query, terms: tokenizer.terms(query.query), vector: vector, expected: query.expected)
        }
        let fitted = try RetrievalCalibration.fit(
            retriever: retriever, queries: prepared, phrasings: try await heldOutPhrasings(current.entries.map(\.entry)),
            defaultHigh: defaultCalibration.fitFloors.high, defaultMid: defaultCalibration.fitFloors.mid,
            equivalents: current.nearDuplicates)
        try await store.storeCalibration(fitted, embeddingModel: embedder.client.models.embedding, at: date)
        return fitted
    }

    /// The knowledge base's phrasings held out as questions, evidence beside labelled ones (their vectors come from
    /// the cache the index was built through).
    private func heldOutPhrasings(_ entries: [KnowledgeEntry]) async throws -> [ScoredQuery] {
        let vectors = try await embedder.embed(KnowledgeEntry.phrasings(of: entries), inputType: inputType)
        return try KnowledgeEntry.heldOutQueries(of: entries, vectors: vectors, tokenizer: tokenizer)
    }

    /// The calibration a knowledge base gets until one is fitted for it: the shipped default, or, when the weights
    /// or thresholds are configured, BM25 divided by the query's maximum attainable score and cosine, mixed by the
    /// configured weights, banded at the configured thresholds. (Unlike the original's division by the query's own
    /// top score, a top candidate scores high only when it actually shares the query's words.)
    public static func defaultCalibration(_ matching: VividCrowdConfiguration.Matching) -> RetrievalCalibration {
        guard matching.configured else { return .standard }
        let total = matching.bm25Weight + matching.embeddingWeight
        let weight = total > 0 ? matching.bm25Weight / total : 0.5
        return RetrievalCalibration(
            fusion: .convex(weight: weight), confidence: nil, highThreshold: matching.highConfidenceThreshold,
            midThreshold: matching.midConfidenceThreshold)
    }

    /// Matches one question.
    public nonisolated func match(_ query: String, limit: Int = 5) async throws -> CustomerServiceMatch {
        let current = try await currentIndex()
        guard let retriever = current.retriever else {
            return CustomerServiceMatch(band: .noMatch, confidence: 0, candidates: [], entry: nil, alternatives: [])
        }
        let terms = tokenizer.terms(query)
        let vector = try await embedder.embed([query], inputType: inputType)[0]
        guard vector.count == retriever.dense.dimension else {
            throw RetrievalError.dimensionMismatch(
                model: embedder.client.models.embedding, modelDimension: vector.count,
                indexDimension: retriever.dense.dimension)
        }
        let calibration = current.calibration
        var candidates = try retriever.rank(terms: terms, vector: vector, fusion: calibration.fusion, limit: limit)
        var confidence = calibration.confidence(
            for: RetrievalCalibration.withoutEquivalents(candidates, current.nearDuplicates))
        var band = calibration.band(for: candidates, confidence: confidence)
        // Not one word in common and no confident meaning either: nothing to rewrite or to offer.
        if band == .low, (candidates.first?.bm25 ?? 0) <= 0 { band = .noMatch }
        // A typical question asked as written is its topic's, whatever the scores made of it.
        if let unit = current.verbatim?.unit(for: query) {
            let exact = Self.candidate(for: unit, in: retriever, ranked: candidates)
            candidates = [exact] + candidates.filter { $0.group != exact.group }.prefix(max(0, limit - 1))
            (confidence, band) = (1, .high)
        }
        let stored = candidates.map { current.entries[$0.record] }
        return CustomerServiceMatch(
            band: band, confidence: (confidence * 10_000).rounded() / 10_000, candidates: candidates,
            entry: stored.first, alternatives: Array(stored.dropFirst()))
    }

    /// The ranked candidate of `unit`'s group, or one made from the unit when the ranking left it out.
    private static func candidate(for unit: Int, in retriever: HybridIndex, ranked: [GroupCandidate]) -> GroupCandidate {
        let group = retriever.units[unit].group
        if let ranked = ranked.first(where: { $0.group == group }) { return ranked }
        return GroupCandidate(
            group: group, unit: unit, record: retriever.units[unit].provenance.record, bm25: 0, bm25Normalised: 0,
            cosine: 1, fused: 1)
    }

    private func currentIndex() async throws -> KnowledgeIndex {
        let version = try await store.corpusVersion()
        // Checked after the await: a match that read this version meanwhile may have started the build; versions
        // only grow, so an index built for a later one serves too.
        if let index, index.version >= version { return try await index.build.value }
        let (store, embedder, tokenizer, inputType) = (self.store, self.embedder, self.tokenizer, self.inputType)
        let denseSearch = self.denseSearch
        let fallback = defaultCalibration
        let build = Task {
            let calibration = try await store.calibration(embeddingModel: embedder.client.models.embedding) ?? fallback
            let stored = try await store.knowledgeEntries()
            guard !stored.isEmpty else {
                return KnowledgeIndex(retriever: nil, verbatim: nil, entries: [], calibration: calibration)
            }
            let entries = stored.map(\.entry)
            let phrasings = KnowledgeEntry.phrasings(of: entries)
            let vectors = try await embedder.embed(phrasings, inputType: inputType)
            let retriever: HybridIndex
            do {
                retriever = try HybridIndex(
                    knowledgeBase: entries, sources: stored.map(\.sourceFile), vectors: vectors, tokenizer: tokenizer,
                    denseSearch: denseSearch, corpusVersion: "\(version)-\(embedder.client.models.embedding)")
            } catch let mismatch as DimensionMismatch {
                throw RetrievalError.dimensionMismatch(
                    model: embedder.client.models.embedding, modelDimension: mismatch.actual,
                    indexDimension: mismatch.expected)
            }
            let check = try KnowledgeBaseCheck.run(entries: entries, vectors: vectors)
            return KnowledgeIndex(
                retriever: retriever, verbatim: VerbatimLookup(units: retriever.units), entries: stored,
                calibration: calibration, nearDuplicates: check.nearDuplicates)
        }
        index = (version, build)
        do {
            return try await build.value
        } catch {
            // A failed build (the embedding server was down, say) is not kept: the next match tries again.
            if let index, index.version == version { self.index = nil }
            throw error
        }
    }
}

/// Why a calibration could not be fitted.
public enum CalibrationError: Error, CustomStringConvertible, Equatable, Sendable {
    case emptyKnowledgeBase
    case tooFewQueries(Int)
    case unknownTopics([String])

    public var description: String {
        switch self {
        case .emptyKnowledgeBase: return "import a knowledge base before calibrating it"
        case .tooFewQueries(let count):
            return "\(count) labelled in-scope questions; calibration needs at least 20 (more is better)"
        case .unknownTopics(let topics):
            return "expected topics not in the knowledge base: \(topics.prefix(5).joined(separator: ", "))"
        }
    }
}
