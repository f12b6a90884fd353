import Foundation
import VividCrowdCore

/// A built-in retrieval suite in corpora/suites/NAME: its largest knowledge base, its queries and calibration split.
public struct BuiltInSuite: Sendable {
    public let name: String
    /// `kb-10shot.csv` when the suite has one, else `kb-1shot.csv`.
    public let knowledgeBaseFile: String
    public let knowledgeBaseData: Data
    public let entries: [KnowledgeEntry]
    public let queries: [LabelledQuery]
    public let calibration: [LabelledQuery]

    /// Loads `corpora/suites/name`.
    public init(name: String, corpora: URL) throws {
        let folder = corpora.appendingPathComponent("suites/\(name)")
        let manager = FileManager.default
        self.name = name
        knowledgeBaseFile = manager.fileExists(atPath: folder.appendingPathComponent("kb-10shot.csv").path)
            ? "kb-10shot.csv" : "kb-1shot.csv"
        knowledgeBaseData = try Data(contentsOf: folder.appendingPathComponent(knowledgeBaseFile))
        entries = try KnowledgeBaseCSV.parse(knowledgeBaseData).entries
        queries = try LabelledQuery.load(jsonLines: Data(contentsOf: folder.appendingPathComponent("queries.jsonl")), source: name)
        let calibrationURL = folder.appendingPathComponent("calibration.jsonl")
        calibration = manager.fileExists(atPath: calibrationURL.path)
            ? try LabelledQuery.load(jsonLines: Data(contentsOf: calibrationURL), source: name) : []
    }

    /// Every text the suite cassette `embeddings-NAME` embedded as a query: phrasings, queries, calibration.
    public var texts: [String] { KnowledgeEntry.phrasings(of: entries) + queries.map(\.query) + calibration.map(\.query) }

    /// Fills `cache` with the query-type vectors of every suite text from `client` (the suite cassette).
    public func warm(_ cache: any EmbeddingCache, client: LLMClient) async throws {
        try await EmbeddingTable.warm(cache, texts: texts, inputType: "query", client: client)
    }
}
