import Foundation
import Testing
@testable import VividCrowdCore
import VividCrowdTesting

struct BM25Fixture: Decodable {
    struct Query: Decodable {
        let tokens: [String]
        let scores: [Double]
    }
    let corpus: [[String]]
    let queries: [Query]
    let k1: Double
    let b: Double
    let epsilon: Double
}

@Suite("BM25")
struct BM25Tests {
    @Test("scores equal rank_bm25 0.2.2's BM25Okapi within 1e-5", arguments: ["qa", "small"])
    func matchesRankBM25(fixture name: String) throws {
        let fixture: BM25Fixture = try loadFixture("bm25/\(name).json")
        let index = BM25Index(
            documents: fixture.corpus, parameters: .init(k1: fixture.k1, b: fixture.b, epsilon: fixture.epsilon))
        for query in fixture.queries {
            let ours = index.scores(for: query.tokens)
            #expect(ours.count == query.scores.count)
            let worst = zip(ours, query.scores).map { abs($0 - $1) }.max() ?? 0
            #expect(worst < 1e-5, "query \(query.tokens): max difference \(worst)")
        }
    }

    @Test("the inverted-index top-k agrees with a full scoring pass")
    func topKMatchesFullScores() throws {
        let fixture: BM25Fixture = try loadFixture("bm25/qa.json")
        let index = BM25Index(documents: fixture.corpus)
        var scratch = ScoreAccumulator(documentCount: index.documentCount)
        for query in fixture.queries {
            let top = index.search(query.tokens, k: 5, scratch: &scratch)
            let expected = query.scores.enumerated().filter { $0.element > 0 }
                .sorted { $0.element != $1.element ? $0.element > $1.element : $0.offset < $1.offset }.prefix(5)
            #expect(top.map(\.document) == expected.map(\.offset))
            for (found, reference) in zip(top, expected) {
                #expect(abs(Double(found.score) - reference.element) < 1e-4)
            }
        }
    }

    @Test("the original normalisation divides by the query's top score")
    func normalisation() {
        #expect([2.0, 1.0, 0.0].normalisedByMaximum() == [1.0, 0.5, 0.0])
        #expect([0.0, 0.0].normalisedByMaximum() == [0.0, 0.0])
    }
}

@Suite("Dense index")
struct DenseIndexTests {
    @Test("a generic OpenBLAS kernel on an AVX2 CPU is reported, with the core type to set")
    func genericKernel() {
        #expect(BLASThreads.genericKernelWarning(cpuInfo: "flags\t\t: fpu sse2 ssse3") == nil)
        let warning = BLASThreads.genericKernelWarning(cpuInfo: "processor : 0\nflags\t\t: fpu sse2 avx2 avx512f")
        #expect((warning != nil) == (BLASThreads.coreName.lowercased() == "prescott"), "core \(BLASThreads.coreName)")
        if let warning { #expect(warning.contains("OPENBLAS_CORETYPE=SkylakeX")) }
    }

    private func randomVectors(_ count: Int, dimension: Int, seed: UInt64) -> [[Float]] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { _ in (0..<dimension).map { _ in Float.random(in: -1...1, using: &generator) } }
    }

    @Test("BLAS scores equal a plain cosine loop, and batch search equals one-by-one search")
    func blasMatchesScalar() throws {
        let vectors = randomVectors(500, dimension: 48, seed: 1)
        let index = try DenseIndex(dimension: 48, vectors: vectors)
        let queries = randomVectors(9, dimension: 48, seed: 2)
        for query in queries {
            let scores = try index.scores(for: query)
            let unit = DenseIndex.normalised(query)
            for row in [0, 17, 499] {
                let manual = zip(index.vector(at: row), unit).reduce(Float(0)) { $0 + $1.0 * $1.1 }
                #expect(abs(scores[row] - manual) < 1e-5)
            }
        }
        let batched = try index.search(batch: queries, k: 7)
        for (query, batch) in zip(queries, batched) {
            let single = try index.search(query, k: 7)
            #expect(single.map(\.document) == batch.map(\.document))
        }
    }

    @Test("the fused top-k kernel keeps the k best rows of a double-precision loop", arguments: [
        (count: 1, dimension: 384, k: 10), (count: 1003, dimension: 384, k: 10), (count: 997, dimension: 37, k: 25),
        (count: 64, dimension: 7, k: 64), (count: 4099, dimension: 100, k: 1),
    ])
    func fusedTopK(count: Int, dimension: Int, k: Int) throws {
        let index = try DenseIndex(dimension: dimension, vectors: randomVectors(count, dimension: dimension, seed: UInt64(count)))
        for query in randomVectors(5, dimension: dimension, seed: 7) {
            let unit = DenseIndex.normalised(query)
            let reference = (0..<count).map { row in
                zip(index.vector(at: row), unit).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            }
            let found = try index.search(query, k: k)
            #expect(found.count == min(k, count))
            #expect(zip(found, found.dropFirst()).allSatisfy { $0.score >= $1.score })
            for hit in found { #expect(abs(Double(hit.score) - reference[hit.document]) < 1e-5) }
            // Nothing left out scores more than the last one kept (beyond rounding).
            let kept = Set(found.map(\.document))
            let bestLeftOut = (0..<count).filter { !kept.contains($0) }.map { reference[$0] }.max() ?? -.infinity
            #expect(bestLeftOut <= Double(found.last?.score ?? .infinity) + 1e-5)
        }
        #expect(try index.search(randomVectors(1, dimension: dimension, seed: 8)[0], k: 0).isEmpty)
    }

    @Test("the int8 pass keeps the rows with the best scale × integer dot product", arguments: [384, 100, 64, 7])
    func int8Pass(dimension: Int) throws {
        let index = try DenseIndex(dimension: dimension, vectors: randomVectors(1001, dimension: dimension, seed: 11))
        let quantised = QuantizedDenseIndex(index)
        for query in randomVectors(4, dimension: dimension, seed: 12) {
            let unit = DenseIndex.normalised(query)
            let (queryCodes, _) = QuantizedDenseIndex.quantise(unit)
            let reference = (0..<index.count).map { row in
                let (codes, scale) = quantised.quantisedRow(row)
                return Float(zip(codes, queryCodes).reduce(Int32(0)) { $0 + Int32($1.0) * Int32($1.1) }) * scale
            }
            let found = quantised.approximateTopK(unit, k: 30)
            #expect(found.count == 30)
            for hit in found { #expect(hit.score == reference[hit.document]) }
            let expected = reference.indices.sorted { (reference[$0], -$0) > (reference[$1], -$1) }.prefix(30)
            #expect(found.map(\.document) == Array(expected))
        }
    }

    @Test("equal rows tie in favour of the lower row, in the float and the int8 search")
    func fusedTopKTies() throws {
        var vectors = randomVectors(8, dimension: 32, seed: 9)
        vectors[5] = vectors[1]
        vectors[6] = vectors[1]
        let index = try DenseIndex(dimension: 32, vectors: vectors)
        #expect(try index.search(vectors[1], k: 3).map(\.document) == [1, 5, 6])
        #expect(try index.search(vectors[1], k: 2).map(\.document) == [1, 5])
        #expect(try QuantizedDenseIndex(index).search(vectors[1], k: 2).map(\.document) == [1, 5])
    }

    @Test("a vector of the wrong dimension is rejected, when indexed and when queried")
    func wrongDimension() throws {
        #expect(throws: DimensionMismatch.self) { _ = try DenseIndex(dimension: 3, vectors: [[1, 2]]) }
        let index = try DenseIndex(dimension: 3, vectors: [[1, 0, 0], [0, 1, 0]])
        #expect(throws: DimensionMismatch(expected: 3, actual: 4)) { _ = try index.scores(for: [1, 0, 0, 0]) }
        #expect(throws: DimensionMismatch.self) { _ = try index.search(batch: [[1, 0, 0], [1, 0]], k: 1) }
        #expect(throws: DimensionMismatch.self) { _ = try QuantizedDenseIndex(index).search([1, 0], k: 1) }
    }

    @Test("the int8 store with exact rescoring finds the same top 10 as float search")
    func quantisedRecall() throws {
        let vectors = randomVectors(2000, dimension: 64, seed: 3)
        let index = try DenseIndex(dimension: 64, vectors: vectors)
        let quantised = QuantizedDenseIndex(index)
        var overlap = 0
        let queries = randomVectors(50, dimension: 64, seed: 4)
        for query in queries {
            let exact = Set(try index.search(query, k: 10).map(\.document))
            let approximate = try quantised.search(query, k: 10)
            overlap += exact.intersection(approximate.map(\.document)).count
            // Rescored scores are exact cosines.
            if let first = approximate.first {
                #expect(abs(first.score - (try index.scores(for: query))[first.document]) < 1e-5)
            }
        }
        #expect(Double(overlap) / Double(queries.count * 10) >= 0.99)
    }
}

