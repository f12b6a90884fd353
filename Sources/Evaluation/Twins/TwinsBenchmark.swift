import Foundation
import VividCrowdCore

/// Document-grounded retrieval on a QA suite, the way a twin retrieves: each document chunked and indexed on its own,
/// each question ranked against its document's chunks, the evidence gate deciding whether to refuse.
public struct TwinsBenchmark: Sendable {
    /// The passage tokenizer (Chinese character bigrams added, as twins index).
    public var tokenizer: SearchTokenizer
    public var chunker: DocumentChunker
    /// Reads PDF suites; text suites need none.
    public var reader: DocumentReader?
    /// Reads of each PDF for the ingestion speed (the median is kept).
    public var ingestionRuns: Int
    /// Whether questions are embedded in their document's script, as twins do (off only to measure what it adds).
    public var convertsQuestionScript = true

    public init(
        tokenizer: SearchTokenizer, chunker: DocumentChunker = DocumentChunker(), reader: DocumentReader? = nil, ingestionRuns: Int = 5
    ) {
        self.tokenizer = tokenizer.addingBigrams()
        self.chunker = chunker
        self.reader = reader
        self.ingestionRuns = ingestionRuns
    }

    /// Embeds distinct texts for one input type ("passage" or "query"), returning each text's vector.
    public typealias Embed = @Sendable (_ texts: [String], _ inputType: String) async throws -> [String: [Float]]

    /// A suite chunked, indexed and embedded, ready to be ranked under any gate.
    public struct Prepared: Sendable {
        public var suite: TwinsSuite
        public var indexes: [String: PassageIndex]
        public var queryTerms: [[String]]
        public var queryVectors: [[Float]]
        /// PDF pages read (0 for text suites).
        public var pages: Int
        /// Each document's language ("zh" or "en"), which picks its evidence gate.
        public var languages: [String: String]
        /// Seconds spent reading and chunking, one thread.
        public var ingestionSeconds: Double
        public var hasVectors: Bool
        /// Where each page of each document begins in its full text (PDF suites), for placing citations on pages.
        public var pageStarts: [String: [Int]] = [:]
    }

    /// Chunks every document of `suite` (reading PDFs first), tokenises and, with `embed`, embeds chunks and queries.
    public func prepare(_ suite: TwinsSuite, embed: Embed?) async throws -> Prepared {
        var chunksByDocument: [String: [DocumentChunk]] = [:]
        var languages: [String: String] = [:]
        var pageStarts: [String: [Int]] = [:]
        var pages = 0
        var seconds = 0.0
        for document in suite.documents {
            // PDFs are read and chunked `ingestionRuns` times and the median time kept, as the peer's timing is.
            var timings: [Double] = []
            for _ in 0..<(suite.source == .pdf ? max(1, ingestionRuns) : 1) {
                let started = ContinuousClock.now
                let text: DocumentText
                switch suite.source {
                case .text:
                    text = DocumentText(format: .text, pages: [try suite.text(of: document)])
                case .pdf:
                    guard let reader else { throw TwinsSuiteError.notASuite(suite.folder.path, expected: "a PDF reader for PDF suites") }
                    let data = try Data(contentsOf: suite.folder.appendingPathComponent(document + ".pdf"))
                    text = try reader.read(data, fileName: document + ".pdf")
                    if timings.isEmpty { pages += text.pages.count }
                }
                chunksByDocument[document] = chunker.chunks(of: text)
                languages[document] = text.language
                if suite.source == .pdf { pageStarts[document] = text.pageStarts }
                timings.append((ContinuousClock.now - started).seconds)
            }
            seconds += timings.sorted()[timings.count / 2]
        }
        let chunkTexts = suite.documents.flatMap { chunksByDocument[$0]!.map(\.text) }
        let passageVectors = try await embed?(chunkTexts, "passage") ?? [:]
        var indexes: [String: PassageIndex] = [:]
        for document in suite.documents {
            let chunks = chunksByDocument[document]!
            indexes[document] = try PassageIndex(
                chunks: chunks, terms: chunks.map { PassageIndex.terms(of: $0, tokenizer: tokenizer) },
                vectors: embed == nil ? [] : chunks.map { passageVectors[$0.text]! }, source: document,
                scriptFolding: convertsQuestionScript ? tokenizer.scriptFolding : nil)
        }
        let embedded = suite.queries.map { indexes[$0.doc]?.questionForEmbedding($0.query) ?? $0.query }
        let queryVectorTable = try await embed?(embedded, "query") ?? [:]
        return Prepared(
            suite: suite, indexes: indexes, queryTerms: suite.queries.map { tokenizer.terms($0.query) },
            queryVectors: embedded.map { queryVectorTable[$0] ?? [] }, pages: pages, languages: languages,
            ingestionSeconds: seconds,
            hasVectors: embed != nil, pageStarts: pageStarts)
    }

    /// Whether a ranked chunk holds the query's answer: in text suites the answer's position falls in the chunk and
    /// its text is there; in PDF suites (no offsets) its text is there, whitespace-insensitive.
    public static func holdsAnswer(_ chunk: DocumentChunk, query: TwinsQuery, source: TwinsSuite.Source) -> Bool {
        let text = TextFidelity.comparableText(chunk.text)
        let contained = query.answerStrings.contains { !TextFidelity.comparableText($0).isEmpty && text.contains(TextFidelity.comparableText($0)) }
        guard source == .text, let start = query.docCharStart, let answer = query.answer else { return contained }
        // The overlap repeats text just before the chunk's own span (and the newline after it).
        let lower = chunk.characters.lowerBound - chunk.overlap - 1
        let end = start + answer.unicodeScalars.count
        return contained && start < chunk.characters.upperBound && end > lower
    }

    /// One query's outcome under a fusion and gate.
    struct Outcome {
        var query: TwinsQuery
        /// 1-based rank of the first chunk holding the answer, nil when none of the ranked chunks does.
        var rank: Int?
        var evidence: Double
        var refused: Bool
        var topPages: ClosedRange<Int>?
        var seconds: Double
        var topText: String?
        /// Whether any chunk of the document holds the answer at all (an upper bound on recall).
        var answerHeld: Bool
        /// PDF suites: the page a citation of the first given passage holding the answer names, for a reply that
        /// restates the question with its answer; nil when no given passage holds it.
        var citedPage: Int?
    }

    /// Answerable questions whose answer was not in the top chunk, with that chunk, for looking at failures.
    public func misses(_ prepared: Prepared, gates: EvidenceGates) throws -> [[String: String]] {
        try outcomes(prepared, gates: gates).filter { $0.query.isAnswerable && $0.rank != 1 }.map { outcome in
            [
                "suite": prepared.suite.name, "qid": outcome.query.qid, "query": outcome.query.query,
                "answer": outcome.query.answer ?? "", "rank": outcome.rank.map(String.init) ?? "none",
                "answer_in_some_chunk": outcome.answerHeld ? "yes" : "no", "top_chunk": outcome.topText ?? "",
            ]
        }
    }

    func outcomes(_ prepared: Prepared, gates: EvidenceGates, rankLimit: Int = 20) throws -> [Outcome] {
        var outcomes: [Outcome] = []
        outcomes.reserveCapacity(prepared.suite.queries.count)
        for (position, query) in prepared.suite.queries.enumerated() {
            guard let index = prepared.indexes[query.doc] else { continue }
            let vector = prepared.queryVectors[position]
            let gate = gates.gate(for: prepared.languages[query.doc] ?? "en")
            // Timed as served: tokenising the question and ranking the top five (its embedding is fetched before).
            let started = ContinuousClock.now
            let terms = tokenizer.terms(query.query)
            let top = try index.search(terms: terms, vector: vector, fusion: gate.fusion, limit: 5)
            let seconds = (ContinuousClock.now - started).seconds
            let ranking = try index.search(terms: terms, vector: vector, fusion: gate.fusion, limit: rankLimit)
            let rank = query.isAnswerable
                ? ranking.chunks.firstIndex { Self.holdsAnswer($0, query: query, source: prepared.suite.source) }.map { $0 + 1 } : nil
            let evidence = gate.evidence(top.candidates)
            let held = query.isAnswerable && (rank != nil || index.chunks.contains { Self.holdsAnswer($0, query: query, source: prepared.suite.source) })
            var citedPage: Int?
            if let pageStarts = prepared.pageStarts[query.doc], let answer = query.answer,
                let given = top.chunks.firstIndex(where: { Self.holdsAnswer($0, query: query, source: prepared.suite.source) })
            {
                citedPage = CitationExtractor.citation(
                    marker: given + 1, of: top.chunks[given], for: query.query + " " + answer, pageStarts: pageStarts
                ).page
            }
            outcomes.append(Outcome(
                query: query, rank: rank, evidence: evidence, refused: evidence < gate.threshold,
                topPages: top.chunks.first?.pages, seconds: seconds, topText: top.chunks.first?.text, answerHeld: held,
                citedPage: citedPage))
        }
        return outcomes
    }

    /// The suite's figures under `gates`.
    public func evaluate(_ prepared: Prepared, gates: EvidenceGates, method: String) throws -> TwinsSuiteReport {
        let outcomes = try outcomes(prepared, gates: gates)
        let answerable = outcomes.filter(\.query.isAnswerable)
        let sameTopic = outcomes.filter { $0.query.type == .noEvidenceSameTopic }
        let otherDocument = outcomes.filter { $0.query.type == .noEvidenceOtherDocument }
        let noEvidence = sameTopic + otherDocument
        func recall(_ k: Int) -> Double { share(answerable) { ($0.rank ?? .max) <= k } }
        let chunks = prepared.indexes.values.flatMap(\.chunks)
        let latencies = outcomes.map { $0.seconds * 1000 }.sorted()
        var report = TwinsSuiteReport(
            suite: prepared.suite.name, method: method,
            fusion: Set(prepared.languages.values).sorted().map { gates.gate(for: $0).fusion.formula }.joined(separator: " / "), documents: prepared.suite.documents.count,
            chunks: chunks.count, answerable: answerable.count, noEvidenceSameTopic: sameTopic.count,
            noEvidenceOtherDocument: otherDocument.count, recallAt1: recall(1), recallAt3: recall(3), recallAt5: recall(5),
            mrr: answerable.isEmpty ? 0 : answerable.reduce(0) { $0 + ($1.rank.map { 1 / Double($0) } ?? 0) } / Double(answerable.count),
            meanChunkChars: chunks.isEmpty ? 0 : Double(chunks.reduce(0) { $0 + $1.text.count }) / Double(chunks.count),
            noEvidenceRefused: noEvidence.isEmpty ? nil : share(noEvidence, \.refused),
            sameTopicRefused: sameTopic.isEmpty ? nil : share(sameTopic, \.refused),
            otherDocumentRefused: otherDocument.isEmpty ? nil : share(otherDocument, \.refused),
            answerableRefused: share(answerable, \.refused),
            noEvidenceAUC: RankStatistics.rocAUC(positives: answerable.map(\.evidence), negatives: noEvidence.map(\.evidence)),
            sameTopicAUC: RankStatistics.rocAUC(positives: answerable.map(\.evidence), negatives: sameTopic.map(\.evidence)),
            otherDocumentAUC: RankStatistics.rocAUC(positives: answerable.map(\.evidence), negatives: otherDocument.map(\.evidence)),
            pageAccuracy: nil, retrievalP50Milliseconds: RankStatistics.quantile(latencies, 0.5),
            retrievalP99Milliseconds: RankStatistics.quantile(latencies, 0.99), pages: prepared.pages,
            pagesPerSecond: prepared.pages > 0 ? Double(prepared.pages) / max(prepared.ingestionSeconds, 1e-9) : nil,
            peerPagesPerSecond: nil, longDocument: nil)
        if prepared.suite.source == .pdf {
            let paged = answerable.filter { !($0.query.answerPages ?? []).isEmpty }
            report.pageAccuracy = share(paged) { outcome in
                guard let pages = outcome.topPages else { return false }
                return outcome.query.answerPages!.contains { pages.contains($0) }
            }
            let cited = paged.filter { $0.citedPage != nil }
            report.citedPageAccuracy = cited.isEmpty ? nil : share(cited) { $0.query.answerPages!.contains($0.citedPage!) }
        }
        return report
    }

    /// Retrieval latency on one long document: the suite's chunks (with their vectors) repeated until they span
    /// `pages` pages, indexed as one twin, and every question of the suite ranked against it (tokenising and ranking
    /// the top five, the question's embedding excluded, as served). Nil for a suite without pages.
    public func longDocumentLatency(_ prepared: Prepared, pages: Int, gates: EvidenceGates) throws -> LongDocumentLatency? {
        guard prepared.pages > 0, !prepared.indexes.isEmpty else { return nil }
        var chunks: [DocumentChunk] = []
        var vectors: [[Float]] = []
        var spanned = 0
        var offset = 0
        while spanned < pages {
            for document in prepared.suite.documents {
                guard let index = prepared.indexes[document] else { continue }
                let dimension = index.index.dense.dimension
                for (position, chunk) in index.chunks.enumerated() {
                    var copy = chunk
                    copy.index = chunks.count
                    copy.pages = (chunk.pages.lowerBound + offset)...(chunk.pages.upperBound + offset)
                    chunks.append(copy)
                    vectors.append(prepared.hasVectors ? Array(index.index.dense.matrix[(position * dimension)..<((position + 1) * dimension)]) : [])
                }
                offset += index.chunks.last?.pages.upperBound ?? 0
            }
            spanned = offset
        }
        let long = try PassageIndex(
            chunks: chunks, terms: chunks.map { PassageIndex.terms(of: $0, tokenizer: tokenizer) }, vectors: prepared.hasVectors ? vectors : [])
        var milliseconds: [Double] = []
        for (position, query) in prepared.suite.queries.enumerated() {
            let gate = gates.gate(for: prepared.languages[query.doc] ?? "en")
            let started = ContinuousClock.now
            _ = try long.search(terms: tokenizer.terms(query.query), vector: prepared.queryVectors[position], fusion: gate.fusion, limit: 5)
            milliseconds.append((ContinuousClock.now - started).seconds * 1000)
        }
        milliseconds.sort()
        return LongDocumentLatency(
            pages: spanned, chunks: chunks.count, p50Milliseconds: RankStatistics.quantile(milliseconds, 0.5),
            p99Milliseconds: RankStatistics.quantile(milliseconds, 0.99))
    }

    func share(_ outcomes: [Outcome], _ predicate: (Outcome) -> Bool) -> Double {
        outcomes.isEmpty ? 0 : Double(outcomes.filter(predicate).count) / Double(outcomes.count)
    }
}

/// Retrieval latency on one long document built from a suite's chunks.
public struct LongDocumentLatency: Sendable, Codable, Equatable {
    public var pages: Int
    public var chunks: Int
    public var p50Milliseconds: Double
    public var p99Milliseconds: Double

    enum CodingKeys: String, CodingKey {
        case pages, chunks
        case p50Milliseconds = "p50_ms"
        case p99Milliseconds = "p99_ms"
    }
}

/// One suite's figures, as `vividcrowd-bench twins` reports them.
public struct TwinsSuiteReport: Sendable, Codable, Equatable {
    public var suite: String
    public var method: String
    public var fusion: String
    public var documents: Int
    public var chunks: Int
    public var answerable: Int
    public var noEvidenceSameTopic: Int
    public var noEvidenceOtherDocument: Int
    public var recallAt1: Double
    public var recallAt3: Double
    public var recallAt5: Double
    public var mrr: Double
    public var meanChunkChars: Double
    /// Share of no-evidence questions (both kinds) refused.
    public var noEvidenceRefused: Double?
    public var sameTopicRefused: Double?
    public var otherDocumentRefused: Double?
    public var answerableRefused: Double
    /// How well the evidence separates answerable from no-evidence questions.
    public var noEvidenceAUC: Double?
    public var sameTopicAUC: Double?
    public var otherDocumentAUC: Double?
    /// Share of answerable questions whose top chunk's pages include a page the answer is printed on (PDF suites).
    public var pageAccuracy: Double?
    /// Share of cited answers whose citation names a page the answer is printed on (PDF suites): each answerable
    /// question whose answer is in a passage it was given, answered by restating it with the answer and citing that
    /// passage, as a faithful model would. Measures the page a citation resolves to, not the model's choice of passage.
    public var citedPageAccuracy: Double?
    public var retrievalP50Milliseconds: Double
    public var retrievalP99Milliseconds: Double
    public var pages: Int
    /// Our ingestion (PDF read and chunking), pages per second on one thread (PDF suites).
    public var pagesPerSecond: Double?
    /// PyMuPDF's text extraction on the same PDFs in the same run, when it was measured.
    public var peerPagesPerSecond: Double?
    /// Retrieval latency on one long document made of this suite's passages (PDF suites).
    public var longDocument: LongDocumentLatency?

    enum CodingKeys: String, CodingKey {
        case suite, method, fusion, documents, chunks, answerable, mrr, pages
        case noEvidenceSameTopic = "no_evidence_same_topic"
        case noEvidenceOtherDocument = "no_evidence_other_doc"
        case recallAt1 = "recall_at_1"
        case recallAt3 = "recall_at_3"
        case recallAt5 = "recall_at_5"
        case meanChunkChars = "mean_chunk_chars"
        case noEvidenceRefused = "no_evidence_refused"
        case sameTopicRefused = "no_evidence_same_topic_refused"
        case otherDocumentRefused = "no_evidence_other_doc_refused"
        case answerableRefused = "answerable_refused"
        case noEvidenceAUC = "no_evidence_auc"
        case sameTopicAUC = "no_evidence_same_topic_auc"
        case otherDocumentAUC = "no_evidence_other_doc_auc"
        case pageAccuracy = "page_accuracy"
        case citedPageAccuracy = "cited_page_accuracy"
        case retrievalP50Milliseconds = "retrieval_p50_ms"
        case retrievalP99Milliseconds = "retrieval_p99_ms"
        case pagesPerSecond = "pages_per_second"
        case peerPagesPerSecond = "pymupdf_pages_per_second"
        case longDocument = "long_document_latency"
    }

    /// Encodes every key, nulls included, so a missing figure reads as "not measured" rather than vanishing.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(suite, forKey: .suite)
        try container.encode(method, forKey: .method)
        try container.encode(fusion, forKey: .fusion)
        try container.encode(documents, forKey: .documents)
        try container.encode(chunks, forKey: .chunks)
        try container.encode(answerable, forKey: .answerable)
        try container.encode(noEvidenceSameTopic, forKey: .noEvidenceSameTopic)
        try container.encode(noEvidenceOtherDocument, forKey: .noEvidenceOtherDocument)
        try container.encode(recallAt1, forKey: .recallAt1)
        try container.encode(recallAt3, forKey: .recallAt3)
        try container.encode(recallAt5, forKey: .recallAt5)
        try container.encode(mrr, forKey: .mrr)
        try container.encode(meanChunkChars, forKey: .meanChunkChars)
        try container.encode(noEvidenceRefused, forKey: .noEvidenceRefused)
        try container.encode(sameTopicRefused, forKey: .sameTopicRefused)
        try container.encode(otherDocumentRefused, forKey: .otherDocumentRefused)
        try container.encode(answerableRefused, forKey: .answerableRefused)
        try container.encode(noEvidenceAUC, forKey: .noEvidenceAUC)
        try container.encode(sameTopicAUC, forKey: .sameTopicAUC)
        try container.encode(otherDocumentAUC, forKey: .otherDocumentAUC)
        try container.encode(pageAccuracy, forKey: .pageAccuracy)
        try container.encode(citedPageAccuracy, forKey: .citedPageAccuracy)
        try container.encode(retrievalP50Milliseconds, forKey: .retrievalP50Milliseconds)
        try container.encode(retrievalP99Milliseconds, forKey: .retrievalP99Milliseconds)
        try container.encode(pages, forKey: .pages)
        try container.encode(pagesPerSecond, forKey: .pagesPerSecond)
        try container.encode(peerPagesPerSecond, forKey: .peerPagesPerSecond)
        try container.encode(longDocument, forKey: .longDocument)
    }
}
