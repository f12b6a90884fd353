import ArgumentParser
import Foundation
import VividCrowdCore

/// Searches one saved HNSW graph at several candidate lists: the product's `HNSWIndex` over `scale`'s vectors, so the
/// peers script can search the very same graph file with hnswlib and compare search alone, round after round.
struct HNSWCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hnsw",
        abstract: "Recall@10 and latency of one saved HNSW graph over scale's vectors, by candidate list (ef).",
        discussion: """
            The vectors are scale's (same seeds, so the same rows at the same size). The graph is read from --graph, \
            or built (one thread) and saved there when the file is missing. --export writes the queries and their \
            exact top 10 for `scripts/peers/peers.py hnsw-graph`; `scripts/peers/hnsw_same_graph.sh` alternates both.
            """)

    @Option(help: "Rows in the index.")
    var size = 1_000_000

    @Option(help: "Vector dimension.")
    var dimension = 384

    @Option(help: "Queries measured.")
    var queries = 200

    @Option(help: "The graph file: read when present, else built and saved here.")
    var graph: String

    @Option(help: "Candidate lists (hnswlib's ef), comma-separated.")
    var ef = "128,256,512,1024,2048"

    @Option(help: "Write queries.f32 and truth.json (each query's exact top 10) here.")
    var export: String?

    @Option(help: "Write the measurements here as JSON.")
    var json: String

    func run() async throws {
        let candidateLists = ef.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !candidateLists.isEmpty, candidateLists.allSatisfy({ $0 > 0 }) else {
            throw ValidationError("--ef needs positive candidate lists, e.g. 128,256")
        }
        BLASThreads.set(1)
        let started = ContinuousClock.now
        let dense = try DenseIndex(dimension: dimension, vectors: ClusteredVectors(count: size, dimension: dimension, seed: UInt64(size)).rows)
        let queryVectors = ClusteredVectors(count: queries, dimension: dimension, seed: 99, centresSeed: UInt64(size)).rows
        let truth = try queryVectors.map { try dense.search($0, k: 10).map(\.document) }
        progress(String(format: "%d rows and the exact top 10 of %d queries in %.1f s", size, queries, (ContinuousClock.now - started).seconds))
        if let export {
            try FileManager.default.createDirectory(atPath: export, withIntermediateDirectories: true)
            try VectorCodec.encode(queryVectors.flatMap { DenseIndex.normalised($0) })
                .write(to: URL(fileURLWithPath: export + "/queries.f32"))
            try JSONEncoder().encode(truth).write(to: URL(fileURLWithPath: export + "/truth.json"))
        }
        let file = URL(fileURLWithPath: graph)
        var result = HNSWGraphRun(size: size, kernel: "\(HNSWIndex.Kernel.selected)", graph: file.lastPathComponent, sweep: [])
        if !FileManager.default.fileExists(atPath: file.path) {
            let buildStarted = ContinuousClock.now
            let built = try HNSWIndex(dense)
            result.buildSeconds = (ContinuousClock.now - buildStarted).seconds
            result.graphBytes = built.graphBytes
            try built.save(to: file)
            progress(String(format: "graph built in %.1f s and saved to %@", result.buildSeconds!, file.path))
        }
        for ef in candidateLists {
            let index = try HNSWIndex(loading: file, exact: dense, parameters: .init(searchCandidates: ef))
            // Recall first, then time, as peers.py does with hnswlib: both are timed over a graph the same queries
            // have just walked.
            var found = 0
            for (query, exact) in zip(queryVectors, truth) {
                found += Set(exact).intersection(try index.search(query, k: 10).map(\.document)).count
            }
            let latency = try ScaleCommand.timed(queryVectors) { _ = try index.search($0, k: 10) }
            let point = HNSWSweepPoint(ef: ef, latency: latency,
                                       recallAt10: Double(found) / Double(max(1, queryVectors.count * 10)))
            result.sweep.append(point)
            progress(String(format: "ef %d: recall@10 %.3f, p50 %.4f ms, p99 %.4f ms", ef, point.recallAt10,
                            point.latency.p50, point.latency.p99))
        }
        try writeJSON(result, to: json)
    }
}

/// One `hnsw` run: the graph's sweep, and its build when this run made it.
struct HNSWGraphRun: Codable {
    var size: Int
    var kernel: String
    var graph: String
    var buildSeconds: Double?
    var graphBytes: Int?
    var sweep: [HNSWSweepPoint]

    enum CodingKeys: String, CodingKey {
        case size, kernel, graph, sweep
        case buildSeconds = "build_s"
        case graphBytes = "graph_bytes"
    }
}
