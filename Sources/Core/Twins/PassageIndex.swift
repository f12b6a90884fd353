import Foundation

/// One twin's passages, indexed by the hybrid retrieval engine: each chunk is its own group, so a query ranks chunks.
/// BM25 uses Lucene's idf, which stays positive in a document of a few chunks, and Anserini's passage parameters
/// (k1 0.9, b 0.4): passages are long and of uneven length, and the usual b 0.75 over-penalises the long ones.
public struct PassageIndex: Sendable {
    public let chunks: [DocumentChunk]
    public let index: HybridIndex
    /// The document's traditional script, when it is written in one and a folding was given.
    public let script: DocumentScript?

    /// Indexes `chunks`; `terms` and `vectors` are given per chunk in the same order (vectors may be empty for a
    /// lexical-only index). A document of `denseSearch`'s size gets an HNSW graph, kept under `version`. With
    /// `scriptFolding`, a document in traditional characters learns its script for questions (`questionForEmbedding`).
    public init(
        chunks: [DocumentChunk], terms: [[String]], vectors: [[Float]], source: String = "document",
        denseSearch: DenseSearchPolicy = DenseSearchPolicy(), version: String = "", scriptFolding: ChineseScriptFolding? = nil
    ) throws {
        self.chunks = chunks
        script = scriptFolding.flatMap { DocumentScript(texts: chunks.map { String($0.ownText) }, folding: $0) }
        let units = chunks.map { chunk in
            RetrievalUnit(
                text: chunk.text, group: Self.group(of: chunk.index),
                provenance: Provenance(source: source, record: chunk.index, pages: chunk.pages, characters: chunk.characters))
        }
        let vectors = vectors.isEmpty ? chunks.map { _ in [Float]() } : vectors
        index = try HybridIndex(
            units: units, unitTerms: terms, unitVectors: vectors, lexicalParameters: Self.lexicalParameters,
            denseSearch: denseSearch, corpusVersion: version)
    }

    /// The terms `chunk` is ranked by: its own text, not the overlap it carries from the chunk before, which would let
    /// a chunk win a question on a sentence that its neighbour holds.
    public static func terms(of chunk: DocumentChunk, tokenizer: SearchTokenizer) -> [String] {
        tokenizer.terms(String(chunk.ownText))
    }

    /// The text to embed for `question`: in the document's script, so a simplified question meets a traditional
    /// document's passages in the script they were embedded in.
    public func questionForEmbedding(_ question: String) -> String { script?.converted(question) ?? question }

    /// BM25 as passages are ranked.
    public static let lexicalParameters = BM25Index.Parameters(k1: 0.9, b: 0.4, idf: .lucene)

    /// The group name of chunk `index`.
    public static func group(of index: Int) -> String { "chunk-\(index)" }

    /// The `limit` best chunks for a query, best first, with the evidence behind each.
    public func search(terms: [String], vector: [Float], fusion: Fusion, limit: Int = 5) throws -> PassageRanking {
        let candidates = try index.rank(terms: terms, vector: vector, fusion: fusion, limit: limit)
        return PassageRanking(candidates: candidates, chunks: candidates.map { chunks[$0.record] })
    }
}

/// Ranked chunks for one question, with the retrieval evidence the refusal decision reads.
public struct PassageRanking: Sendable {
    /// Evidence per ranked chunk, best first.
    public var candidates: [GroupCandidate]
    /// The ranked chunks, in the same order.
    public var chunks: [DocumentChunk]
}
