import Foundation
import Testing
import VividCrowdCore
import VividCrowdTesting

@Suite("HNSW index")
struct HNSWIndexTests {
    /// Unit vectors around a few centres, as embeddings cluster.
    private func clustered(_ count: Int, dimension: Int, seed: UInt64) -> [[Float]] {
        var generator = SeededGenerator(seed: seed)
        let centres = (0..<20).map { _ in (0..<dimension).map { _ in Float.random(in: -1...1, using: &generator) } }
        return (0..<count).map { _ in
            centres[Int.random(in: 0..<centres.count, using: &generator)].map { $0 + Float.random(in: -0.5...0.5, using: &generator) }
        }
    }

    @Test("the graph finds the exact top 10 for nearly every query, with exact scores")
    func recall() throws {
        let exact = try DenseIndex(dimension: 32, vectors: clustered(3000, dimension: 32, seed: 1))
        let graph = try HNSWIndex(exact)
        #expect(graph.count == 3000 && graph.graphBytes > 3000 * 32 * 4)
        var overlap = 0
        let queries = clustered(100, dimension: 32, seed: 2)
        for query in queries {
            let truth = try exact.search(query, k: 10)
            let found = try graph.search(query, k: 10)
            overlap += Set(truth.map(\.document)).intersection(found.map(\.document)).count
            let scores = try exact.scores(for: query)
            for hit in found { #expect(abs(hit.score - scores[hit.document]) < 1e-5) }
            #expect(zip(found, found.dropFirst()).allSatisfy { $0.score >= $1.score })
        }
        #expect(Double(overlap) / Double(queries.count * 10) >= 0.98)
        #expect(throws: DimensionMismatch.self) { _ = try graph.search([1, 2], k: 3) }
        #expect(try graph.search(queries[0], k: 0).isEmpty)
    }

    @Test("every kernel the machine runs computes the scalar inner product, tails included; the widest is the one used")
    func kernels() throws {
        var generator = SeededGenerator(seed: 7)
        let runnable = HNSWIndex.Kernel.allCases.filter { $0.innerProduct([1], [1]) != nil }
        #expect(runnable.contains(.scalar) && runnable.last == HNSWIndex.Kernel.selected)
        for count in Array(1...70) + [127, 128, 129, 383, 384, 385] {
            let a = (0..<count).map { _ in Float.random(in: -1...1, using: &generator) }
            let b = (0..<count).map { _ in Float.random(in: -1...1, using: &generator) }
            let expected = zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            for kernel in runnable {
                let found = try #require(kernel.innerProduct(a, b))
                #expect(abs(Double(found) - expected) < 1e-4, "\(kernel) at \(count)")
            }
        }
    }

    @Test("a saved graph reads back to the same answers, and not over other rows")
    func persistence() throws {
        let folder = URL(fileURLWithPath: try temporaryDirectory())
        defer { try? FileManager.default.removeItem(at: folder) }
        let exact = try DenseIndex(dimension: 16, vectors: clustered(500, dimension: 16, seed: 3))
        let graph = try HNSWIndex(exact)
        let file = folder.appendingPathComponent("graph.bin")
        try graph.save(to: file)
        let loaded = try HNSWIndex(loading: file, exact: exact)
        for query in clustered(20, dimension: 16, seed: 4) {
            #expect(try loaded.search(query, k: 5) == graph.search(query, k: 5))
        }
        let fewer = try DenseIndex(dimension: 16, vectors: clustered(400, dimension: 16, seed: 3))
        #expect(throws: HNSWError.mismatch(saved: 500, rows: 400)) { _ = try HNSWIndex(loading: file, exact: fewer) }
        #expect(throws: HNSWError.self) { _ = try HNSWIndex(loading: folder.appendingPathComponent("missing.bin"), exact: exact) }
    }

    @Test("a damaged graph file is refused with an error, not searched: cut short, or a link pointing outside it")
    func damagedFile() throws {
        let folder = URL(fileURLWithPath: try temporaryDirectory())
        defer { try? FileManager.default.removeItem(at: folder) }
        let exact = try DenseIndex(dimension: 16, vectors: clustered(300, dimension: 16, seed: 5))
        let file = folder.appendingPathComponent("graph.bin")
        try HNSWIndex(exact).save(to: file)
        let saved = try Data(contentsOf: file)
        _ = try HNSWIndex(loading: file, exact: exact)

        try saved.prefix(saved.count / 2).write(to: file)
        #expect(throws: HNSWError.self) { _ = try HNSWIndex(loading: file, exact: exact) }

        // hnswlib's header is 96 bytes; node 0's level-0 list follows: its length, then its first neighbour.
        var linked = saved
        #expect(linked.subdata(in: 96..<100) != Data(count: 4))
        linked.replaceSubrange(100..<104, with: [0xFF, 0xFF, 0xFF, 0x7F])
        try linked.write(to: file)
        #expect(throws: HNSWError.failed("the saved graph links outside itself")) { _ = try HNSWIndex(loading: file, exact: exact) }
    }

    @Test("the policy scans exactly below its threshold and keeps one graph per corpus version above it")
    func policy() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hnsw-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let exact = try DenseIndex(dimension: 16, vectors: clustered(300, dimension: 16, seed: 5))
        #expect(try DenseSearchPolicy(approximateFrom: 301).searcher(for: exact, version: "v1", folder: folder) is DenseIndex)
        let policy = DenseSearchPolicy(approximateFrom: 300)
        let first = try policy.searcher(for: exact, version: "v1", folder: folder)
        #expect(first is HNSWIndex)
        let saved = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        #expect(saved == [HNSWIndex.fileName(version: "v1", parameters: policy.graph)])
        let again = try policy.searcher(for: exact, version: "v1", folder: folder)
        let query = clustered(1, dimension: 16, seed: 6)[0]
        #expect(try again.search(query, k: 5) == first.search(query, k: 5))
        // A new version replaces the old graph.
        _ = try policy.searcher(for: exact, version: "v2", folder: folder)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == [HNSWIndex.fileName(version: "v2", parameters: policy.graph)])
    }
}
