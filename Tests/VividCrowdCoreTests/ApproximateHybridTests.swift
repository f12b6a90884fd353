import Foundation
import Testing
@testable import VividCrowdCore
import VividCrowdTesting

/// A seeded corpus: 600 groups of 4 units, each unit near its group's direction and using words drawn mostly from
/// its group's own; queries are noisy copies of a unit.
private struct SeededCorpus {
    var units: [RetrievalUnit] = []
    var terms: [[String]] = []
    var vectors: [[Float]] = []
    var queries: [(terms: [String], vector: [Float], group: String)] = []

    init(groups: Int = 600, perGroup: Int = 4, dimension: Int = 32, queryCount: Int = 120) {
        var generator = SeededGenerator(seed: 7)
        func gaussian() -> Float {
            let u = max(Double.random(in: 0..<1, using: &generator), 1e-12)
            let v = Double.random(in: 0..<1, using: &generator)
            return Float((-2 * log(u)).squareRoot() * cos(2 * .pi * v))
        }
        let centres = (0..<groups).map { _ in (0..<dimension).map { _ in gaussian() } }
        let vocabulary = (0..<3_000).map { "w\($0)" }
        for group in 0..<groups {
            let own = (0..<6).map { _ in vocabulary[Int.random(in: 0..<vocabulary.count, using: &generator)] }
            for unit in 0..<perGroup {
                units.append(RetrievalUnit(
                    text: "", group: "g\(group)", provenance: Provenance(source: "", record: group, row: unit)))
                terms.append((0..<5).map { _ in
                    Bool.random(using: &generator) ? own.randomElement(using: &generator)!
                        : vocabulary[Int.random(in: 0..<vocabulary.count, using: &generator)]
                })
                vectors.append(centres[group].map { $0 + 0.6 * gaussian() })
            }
        }
        for _ in 0..<queryCount {
            let unit = Int.random(in: 0..<units.count, using: &generator)
            queries.append((
                Array(terms[unit].prefix(3)) + ["w\(Int.random(in: 0..<3_000, using: &generator))"],
                vectors[unit].map { $0 + 0.5 * gaussian() }, units[unit].group))
        }
    }

    func index(_ policy: DenseSearchPolicy, version: String = "v1") throws -> HybridIndex {
        try HybridIndex(units: units, unitTerms: terms, unitVectors: vectors, denseSearch: policy, corpusVersion: version)
    }
}

@Suite("Hybrid retrieval over an HNSW graph")
struct ApproximateHybridTests {
    @Test("past the policy's size the graph answers, and rankings match exact scoring")
    func matchesExact() throws {
        let corpus = SeededCorpus()
        let exact = try corpus.index(DenseSearchPolicy(approximateFrom: 1_000_000))
        let approximate = try corpus.index(DenseSearchPolicy(approximateFrom: 1_000, candidates: 50))
        #expect(exact.denseSearcher is DenseIndex)
        #expect(approximate.denseSearcher is HNSWIndex)

        for fusion in [Fusion.bm25, .dense, .convex(weight: 0.5), .zScore(weight: 0.5)] {
            var sameTop = 0
            for query in corpus.queries {
                let wanted = try exact.rank(terms: query.terms, vector: query.vector, fusion: fusion, limit: 3)
                let found = try approximate.rank(terms: query.terms, vector: query.vector, fusion: fusion, limit: 3)
                guard let first = found.first, let expected = wanted.first else {
                    Issue.record("no candidates for \(fusion)")
                    continue
                }
                if first.group == expected.group {
                    sameTop += 1
                    // Candidates carry exact BM25 and exact cosines; only z-scores use sampled dense statistics.
                    #expect(first.bm25 == expected.bm25)
                    #expect(abs(first.cosine - expected.cosine) < 1e-5)
                    if case .zScore = fusion {} else { #expect(abs(first.fused - expected.fused) < 1e-5) }
                }
            }
            switch fusion {
            case .bm25: #expect(sameTop == corpus.queries.count, "BM25 is exhaustive, so its ranking is exact")
            default: #expect(Double(sameTop) >= 0.97 * Double(corpus.queries.count), "\(fusion): \(sameTop)")
            }
        }
    }

    @Test("only candidates are scored, with the shortlist's groups and statistics near the exact ones")
    func candidateShortlist() throws {
        let corpus = SeededCorpus()
        let exact = try corpus.index(DenseSearchPolicy(approximateFrom: 1_000_000))
        let approximate = try corpus.index(DenseSearchPolicy(approximateFrom: 1_000, candidates: 40))
        let query = corpus.queries[0]
        let full = try exact.scores(terms: query.terms, vector: query.vector)
        let shortlisted = try approximate.scores(terms: query.terms, vector: query.vector)
        let shortlist = try #require(shortlisted.shortlist)
        #expect(shortlist.count < corpus.units.count / 4)
        #expect(shortlisted.bm25.count == shortlist.count)
        for (position, unit) in shortlist.enumerated() {
            #expect(shortlisted.bm25[position] == full.bm25[unit])
            #expect(abs(shortlisted.cosines[position] - full.cosines[unit]) < 1e-5)
        }
        #expect(abs(shortlisted.lexicalStatistics.mean - full.lexicalStatistics.mean) < 1e-4)
        #expect(abs(shortlisted.lexicalStatistics.scale - full.lexicalStatistics.scale) < 1e-3)
        #expect(abs(shortlisted.denseStatistics.mean - full.denseStatistics.mean) < 0.02)
        #expect(abs(shortlisted.denseStatistics.scale / full.denseStatistics.scale - 1) < 0.05)
    }

    @Test("the graph is kept per corpus version: read back while the version holds, replaced when it changes")
    func keptPerVersion() throws {
        let corpus = SeededCorpus(groups: 300, queryCount: 10)
        let folder = URL(fileURLWithPath: try temporaryDirectory())
        defer { try? FileManager.default.removeItem(at: folder) }
        let policy = DenseSearchPolicy(approximateFrom: 100, graphFolder: folder).forCorpus("knowledge-base")
        let corpusFolder = folder.appendingPathComponent("knowledge-base")
        func graphs() throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: corpusFolder.path).filter { $0.hasPrefix("hnsw-") }.sorted()
        }
        let first = try corpus.index(policy, version: "1-model")
        let saved = try graphs()
        #expect(saved.count == 1)
        let file = corpusFolder.appendingPathComponent(saved[0])
        let written = try FileManager.default.attributesOfItem(atPath: file.path)[.modificationDate] as? Date
        let again = try corpus.index(policy, version: "1-model")
        #expect(try FileManager.default.attributesOfItem(atPath: file.path)[.modificationDate] as? Date == written)
        let query = corpus.queries[0]
        #expect(try again.rank(terms: query.terms, vector: query.vector, fusion: .dense).map(\.group)
            == first.rank(terms: query.terms, vector: query.vector, fusion: .dense).map(\.group))
        _ = try corpus.index(policy, version: "2-model")
        let replaced = try graphs()
        #expect(replaced.count == 1)
        #expect(replaced != saved)
    }
}
