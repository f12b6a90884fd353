import ArgumentParser
import Foundation
import VividCrowdCore

/// Index size sweep: BM25, dense f32 through BLAS, the int8 store, and a plain scalar loop.
struct ScaleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scale",
        abstract: "Latency vs index size (1k → 1M), one thread: BM25 top-10, dense BLAS vs scalar, int8 store, batches.",
        discussion: """
            Documents are synthetic for latency: pairs of real English utterances from the suites (BM25) and
            clustered random unit vectors (dense). Never used for accuracy claims, except the int8 store's
            recall@10 against exact search on the same vectors.
            --export DIR also writes the 10k and 100k data for scripts/peers/run_peers.sh.
            """)

    @Option(help: "Index sizes (comma-separated).")
    var sizes = "1000,10000,100000,1000000"

    @Option(help: "Vector dimension.")
    var dimension = 384

    @Option(help: "Queries per measurement.")
    var queries = 200

    @Option(help: "Directory holding suites/.")
    var corpora = "corpora"

    @Option(help: "Directory for the reports.")
    var reports = "reports"

    @Option(help: "Also write the data of the 10k and 100k sizes here, for the peers script.")
    var export: String?

    func run() async throws {
        BLASThreads.set(1)
        if let warning = BLASThreads.genericKernelWarning() { progress("warning: " + warning) }
        let bandwidth = Self.readBandwidth()
        progress(String(format: "OpenBLAS core %@; one-thread read bandwidth %.1f GB/s", BLASThreads.coreName, bandwidth / 1e9))
        let sizes = sizes.split(separator: ",").compactMap { Int($0) }
        let tokenizer = SearchTokenizer(segmenter: try JiebaSegmenter(directory: URL(fileURLWithPath: corpora + "/jieba")))
        let utterances = try englishUtterances()
        progress("\(utterances.count) base utterances")
        let baseTerms = utterances.map(tokenizer.terms)
        var generator = SeededGenerator(seed: 2026)
        let queryTerms = (0..<queries).map { _ in baseTerms[Int.random(in: 0..<baseTerms.count, using: &generator)] }
        var rows: [ScaleRow] = []
        for size in sizes {
            progress("size \(size)…")
            let documents = (0..<size).map { i in
                baseTerms[i % baseTerms.count] + baseTerms[(i &* 7919 &+ 13) % baseTerms.count]
            }
            let vectors = ClusteredVectors(count: size, dimension: dimension, seed: UInt64(size))
            let queryVectors = ClusteredVectors(count: queries, dimension: dimension, seed: 99, centresSeed: UInt64(size))
            if let export, size == 10_000 || size == 100_000 {
                try exportData(documents: documents, queryTerms: queryTerms, vectors: vectors, queryVectors: queryVectors,
                               to: "\(export)/\(size)")
            }
            var row = try measure(size: size, documents: documents, queryTerms: queryTerms, vectors: vectors, queryVectors: queryVectors)
            row.memoryBoundMs = Double(row.bytesF32) / bandwidth * 1000
            rows.append(row)
            progress("  " + rows.last!.summary)
        }
        try writeJSON(rows, to: reports + "/scale.json")
        let markdown = ScaleRow.markdown(rows, dimension: dimension, queries: queries, bandwidth: bandwidth)
        try writeText(markdown, to: reports + "/scale.md")
        try writeText(ScaleRow.chart(rows), to: reports + "/scale-latency.svg")
        print(markdown)
    }

    private func englishUtterances() throws -> [String] {
        var texts: [String] = []
        for suite in ["banking77", "clinc150", "hwu64"] {
            let data = try Data(contentsOf: URL(fileURLWithPath: "\(corpora)/suites/\(suite)/calibration.jsonl"))
            texts += try LabelledQuery.load(jsonLines: data, source: suite).map(\.query)
            let kb = try Data(contentsOf: URL(fileURLWithPath: "\(corpora)/suites/\(suite)/kb-10shot.csv"))
            texts += try KnowledgeBaseCSV.parse(kb).entries.flatMap(\.phrasings)
        }
        return texts
    }

    /// Bytes per second one thread reads sequentially from a 256 MB buffer (far beyond any cache), best of five:
    /// the floor for a single-query scan of an f32 matrix.
    static func readBandwidth() -> Double {
        let lanes = 256 << 20 / MemoryLayout<SIMD16<Float>>.stride
        let buffer = [SIMD16<Float>](repeating: SIMD16(repeating: 1), count: lanes)
        var best = Double.infinity
        var total = SIMD16<Float>()
        for _ in 0..<5 {
            let started = ContinuousClock.now
            buffer.withUnsafeBufferPointer { pointer in
                var (a, b, c, d) = (SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>())
                var index = 0
                while index + 4 <= pointer.count {
                    a += pointer[index]; b += pointer[index + 1]; c += pointer[index + 2]; d += pointer[index + 3]
                    index += 4
                }
                total += a + b + c + d
            }
            best = min(best, (ContinuousClock.now - started).seconds)
        }
        precondition(total.sum() > 0)
        return Double(lanes * MemoryLayout<SIMD16<Float>>.stride) / best
    }

    private func measure(
        size: Int, documents: [[String]], queryTerms: [[String]], vectors: ClusteredVectors, queryVectors: ClusteredVectors
    ) throws -> ScaleRow {
        var row = ScaleRow(size: size)
        var started = ContinuousClock.now
        let lexical = BM25Index(documents: documents)
        row.bm25BuildSeconds = (ContinuousClock.now - started).seconds
        var scratch = ScoreAccumulator(documentCount: size)
        var latencies: [Double] = []
        for query in queryTerms { _ = lexical.search(query, k: 10, scratch: &scratch) }  // warm-up
        let bm25Started = ContinuousClock.now
        for query in queryTerms {
            let begin = ContinuousClock.now
            _ = lexical.search(query, k: 10, scratch: &scratch)
            latencies.append((ContinuousClock.now - begin).seconds * 1000)
        }
        row.bm25QueriesPerSecond = Double(queryTerms.count) / (ContinuousClock.now - bm25Started).seconds
        row.bm25 = LatencySummary(milliseconds: latencies)

        started = ContinuousClock.now
        let dense = try DenseIndex(dimension: dimension, vectors: vectors.rows)
        row.denseBuildSeconds = (ContinuousClock.now - started).seconds
        row.denseF32 = try timed(queryVectors.rows) { _ = try dense.search($0, k: 10) }
        let scalarQueries = Array(queryVectors.rows.prefix(size >= 100_000 ? 20 : queryVectors.rows.count))
        row.denseScalar = try timed(scalarQueries) { _ = Self.scalarSearch(dense, $0, k: 10) }
        let quantised = QuantizedDenseIndex(dense)
        row.denseInt8 = try timed(queryVectors.rows) { _ = try quantised.search($0, k: 10) }
        var overlap = 0
        for query in queryVectors.rows.prefix(100) {
            let exact = Set(try dense.search(query, k: 10).map(\.document))
            overlap += exact.intersection(try quantised.search(query, k: 10).map(\.document)).count
        }
        row.int8RecallAt10 = Double(overlap) / Double(min(100, queryVectors.rows.count) * 10)
        let batch = Array(queryVectors.rows.prefix(64))
        let batchStarted = ContinuousClock.now
        var repeats = 0
        repeat {
            _ = try dense.scoreMatrix(batch)
            repeats += 1
        } while (ContinuousClock.now - batchStarted).seconds < 0.5 && repeats < 50
        let batchSeconds = (ContinuousClock.now - batchStarted).seconds / Double(repeats)
        row.batch64MsPerQuery = batchSeconds * 1000 / Double(batch.count)
        row.batch64GFLOPS = 2 * Double(batch.count) * Double(size) * Double(dimension) / batchSeconds / 1e9
        row.bytesF32 = size * dimension * 4
        return row
    }

    private func timed(_ queries: [[Float]], _ body: ([Float]) throws -> Void) rethrows -> LatencySummary {
        if let first = queries.first { try body(first) }
        var latencies: [Double] = []
        for query in queries {
            let begin = ContinuousClock.now
            try body(query)
            latencies.append((ContinuousClock.now - begin).seconds * 1000)
        }
        return LatencySummary(milliseconds: latencies)
    }

    /// The plain loop BLAS replaces: one dot product per row, then the same top-k.
    static func scalarSearch(_ index: DenseIndex, _ query: [Float], k: Int) -> [Int] {
        let unit = DenseIndex.normalised(query)
        var scores = [Float](repeating: 0, count: index.count)
        index.matrix.withUnsafeBufferPointer { rows in
            for row in 0..<index.count {
                var dot: Float = 0
                let base = row * index.dimension
                for column in 0..<index.dimension { dot += rows[base + column] * unit[column] }
                scores[row] = dot
            }
        }
        return scores.indices.sorted { scores[$0] > scores[$1] }.prefix(k).map { $0 }
    }

    private func exportData(
        documents: [[String]], queryTerms: [[String]], vectors: ClusteredVectors, queryVectors: ClusteredVectors, to folder: String
    ) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try (documents.map { $0.joined(separator: " ") }.joined(separator: "\n") + "\n")
            .write(toFile: folder + "/docs.txt", atomically: true, encoding: .utf8)
        try (queryTerms.map { $0.joined(separator: " ") }.joined(separator: "\n") + "\n")
            .write(toFile: folder + "/queries.txt", atomically: true, encoding: .utf8)
        try VectorCodec.encode(vectors.rows.flatMap { DenseIndex.normalised($0) }).write(to: URL(fileURLWithPath: folder + "/vectors.f32"))
        try VectorCodec.encode(queryVectors.rows.flatMap { DenseIndex.normalised($0) })
            .write(to: URL(fileURLWithPath: folder + "/queries.f32"))
    }
}

/// Unit vectors scattered around random centres, more like real embeddings than isotropic noise.
struct ClusteredVectors {
    let rows: [[Float]]

    init(count: Int, dimension: Int, seed: UInt64, centresSeed: UInt64? = nil) {
        var centreGenerator = SeededGenerator(seed: centresSeed ?? seed)
        let centres = (0..<256).map { _ in (0..<dimension).map { _ in Float.random(in: -1...1, using: &centreGenerator) } }
        var generator = SeededGenerator(seed: seed &+ 1)
        rows = (0..<count).map { _ in
            let centre = centres[Int.random(in: 0..<centres.count, using: &generator)]
            return centre.map { $0 + Float.random(in: -0.6...0.6, using: &generator) }
        }
    }
}

struct ScaleRow: Codable {
    var size: Int
    var bm25BuildSeconds = 0.0
    var bm25QueriesPerSecond = 0.0
    var bm25 = LatencySummary(milliseconds: [])
    var denseBuildSeconds = 0.0
    var denseF32 = LatencySummary(milliseconds: [])
    var denseScalar = LatencySummary(milliseconds: [])
    var denseInt8 = LatencySummary(milliseconds: [])
    var int8RecallAt10 = 0.0
    var batch64MsPerQuery = 0.0
    var batch64GFLOPS = 0.0
    var bytesF32 = 0
    var memoryBoundMs = 0.0

    init(size: Int) { self.size = size }

    enum CodingKeys: String, CodingKey {
        case size
        case bm25BuildSeconds = "bm25_build_s"
        case bm25QueriesPerSecond = "bm25_qps"
        case bm25 = "bm25_ms"
        case denseBuildSeconds = "dense_build_s"
        case denseF32 = "dense_f32_ms"
        case denseScalar = "dense_scalar_ms"
        case denseInt8 = "dense_int8_ms"
        case int8RecallAt10 = "int8_recall_at_10"
        case batch64MsPerQuery = "batch64_ms_per_query"
        case batch64GFLOPS = "batch64_gflops"
        case bytesF32 = "f32_bytes"
        case memoryBoundMs = "memory_bound_ms"
    }

    var summary: String {
        String(format: "BM25 %.0f q/s p50 %.3f ms; f32 p50 %.3f ms; int8 p50 %.3f ms (recall@10 %.3f); scalar p50 %.3f ms; batch64 %.1f GFLOP/s",
               bm25QueriesPerSecond, bm25.p50, denseF32.p50, denseInt8.p50, int8RecallAt10, denseScalar.p50, batch64GFLOPS)
    }

    static func markdown(_ rows: [ScaleRow], dimension: Int, queries: Int, bandwidth: Double) -> String {
        var text = """
            # Index size sweep (one thread)

            BM25: top-10 over synthetic documents (pairs of real English utterances), \(queries) queries.
            Dense: \(dimension)-d clustered unit vectors; f32 = OpenBLAS sgemv + heap; int8 = int8 pass, exact rescoring of
            10×k; scalar = a plain Swift loop; batch = 64 queries through one sgemm. Memory bound = f32 matrix bytes / the
            one-thread sequential read bandwidth measured in the same run (\(String(format: "%.1f", bandwidth / 1e9)) GB/s).
            OpenBLAS core: \(BLASThreads.coreName).

            | size | BM25 q/s | BM25 p50 ms | f32 p50 ms | memory bound ms | int8 p50 ms | int8 recall@10 | scalar p50 ms | batch64 ms/query | batch64 GFLOP/s |
            |---|---|---|---|---|---|---|---|---|---|

            """
        for row in rows {
            text += String(format: "| %d | %.0f | %.4f | %.3f | %.3f | %.3f | %.3f | %.3f | %.4f | %.1f |\n",
                           row.size, row.bm25QueriesPerSecond, row.bm25.p50, row.denseF32.p50, row.memoryBoundMs,
                           row.denseInt8.p50, row.int8RecallAt10, row.denseScalar.p50, row.batch64MsPerQuery, row.batch64GFLOPS)
        }
        return text + "\nReproduce: `swift run -c release vividcrowd-bench scale`; peers: `scripts/peers/run_peers.sh`.\n"
    }

    static func chart(_ rows: [ScaleRow]) -> String {
        let series: [(String, String, (ScaleRow) -> Double)] = [
            ("BM25", "#4e79a7", { $0.bm25.p50 }), ("dense f32 (BLAS)", "#f28e2b", { $0.denseF32.p50 }),
            ("dense int8", "#59a14f", { $0.denseInt8.p50 }), ("dense scalar", "#e15759", { $0.denseScalar.p50 }),
        ]
        let width = 520.0, height = 300.0, left = 60.0, top = 30.0
        let values = rows.flatMap { row in series.map { max($0.2(row), 1e-4) } }
        let minLog = floor(log10(values.min() ?? 1e-3)), maxLog = ceil(log10(values.max() ?? 1))
        let sizes = rows.map { log10(Double($0.size)) }
        let minX = sizes.min() ?? 3, maxX = max(sizes.max() ?? 6, minX + 1)
        func x(_ size: Int) -> Double { left + (log10(Double(size)) - minX) / (maxX - minX) * (width - left - 20) }
        func y(_ value: Double) -> Double { top + (maxLog - log10(max(value, 1e-4))) / (maxLog - minLog) * (height - top - 40) }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width + 160))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"11\">\n"
        svg += "<text x=\"10\" y=\"16\" font-size=\"14\">p50 latency (ms, log) vs index size</text>\n"
        for exponent in Int(minLog)...Int(maxLog) {
            let value = pow(10, Double(exponent))
            svg += "<line x1=\"\(left)\" y1=\"\(y(value))\" x2=\"\(width)\" y2=\"\(y(value))\" stroke=\"#ddd\"/><text x=\"5\" y=\"\(y(value) + 4)\">\(value)</text>\n"
        }
        for row in rows { svg += "<text x=\"\(x(row.size) - 10)\" y=\"\(height - 15)\">\(row.size)</text>\n" }
        for (index, (name, colour, value)) in series.enumerated() {
            let points = rows.map { "\(x($0.size)),\(y(value($0)))" }.joined(separator: " ")
            svg += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" points=\"\(points)\"/>\n"
            svg += "<text x=\"\(width + 10)\" y=\"\(top + 20 + Double(index) * 16)\" fill=\"\(colour)\">\(name)</text>\n"
        }
        return svg + "</svg>\n"
    }
}
