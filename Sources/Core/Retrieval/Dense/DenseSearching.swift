import Foundation

/// Anything that answers a query vector with the rows nearest to it: exact search over a ``DenseIndex``, its int8
/// store (``QuantizedDenseIndex``) or an HNSW graph over it (``HNSWIndex``).
public protocol DenseSearching: Sendable {
    /// Rows searched.
    var count: Int { get }
    /// The `k` rows most similar to `query` (cosine), best first.
    func search(_ query: [Float], k: Int) throws -> [ScoredDocument]
}

extension DenseIndex: DenseSearching {}

extension QuantizedDenseIndex: DenseSearching {
    public var count: Int { exact.count }
}

/// When dense search switches from exact scanning to an HNSW graph, and how that graph is built and kept.
public struct DenseSearchPolicy: Sendable, Hashable, Codable {
    /// Rows from which an HNSW graph answers instead of an exact scan (exact below: it is fast enough and exact).
    public var approximateFrom: Int
    /// The graph's parameters.
    public var graph: HNSWIndex.Parameters
    /// With a graph, how many units a hybrid query scores by BM25 and how many by cosine.
    public var candidates: Int
    /// With a graph, how many rows' cosines estimate a hybrid query's dense mean and spread.
    public var statisticsSample: Int

    /// The folder graphs are kept in between runs (nil: built in memory whenever an index is).
    public var graphFolder: URL?

    public init(approximateFrom: Int = 200_000, graph: HNSWIndex.Parameters = .init(), candidates: Int = 100,
                statisticsSample: Int = 2_048, graphFolder: URL? = nil) {
        self.approximateFrom = approximateFrom
        self.graph = graph
        self.candidates = candidates
        self.statisticsSample = statisticsSample
        self.graphFolder = graphFolder
    }

    /// The same policy keeping its graphs in the subfolder `corpus` (a folder holds the graphs of one corpus).
    public func forCorpus(_ corpus: String) -> DenseSearchPolicy {
        var copy = self
        copy.graphFolder = graphFolder?.appendingPathComponent(HNSWIndex.pathComponent(corpus), isDirectory: true)
        return copy
    }

    /// The searcher for `index`: exact below the threshold; above it an HNSW graph, read from `folder` when one was
    /// saved there for the same corpus `version` and rows, else built and saved there (when a folder is given) in
    /// place of the graphs of earlier versions. A folder holds the graphs of one corpus.
    public func searcher(for index: DenseIndex, version: String, folder: URL?) throws -> any DenseSearching {
        guard index.count >= approximateFrom else { return index }
        guard let folder else { return try HNSWIndex(index, parameters: graph) }
        let file = folder.appendingPathComponent(HNSWIndex.fileName(version: version, parameters: graph))
        if FileManager.default.fileExists(atPath: file.path),
           let loaded = try? HNSWIndex(loading: file, exact: index, parameters: graph) {
            return loaded
        }
        let built = try HNSWIndex(index, parameters: graph)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try built.save(to: file)
        for stale in try FileManager.default.contentsOfDirectory(atPath: folder.path)
        where stale.hasPrefix("hnsw-") && stale.hasSuffix(".bin") && stale != file.lastPathComponent {
            try? FileManager.default.removeItem(at: folder.appendingPathComponent(stale))
        }
        return built
    }
}
