import ArgumentParser
import Foundation
import VividCrowdCore
import VividCrowdEvaluation

/// Index size sweep: BM25, dense f32 through BLAS, the int8 store, and a plain scalar loop.
struct ScaleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scale",
        abstract: "Latency vs index size (1k → 1M), one thread: BM25 top-10 on three corpora, dense f32 / int8 / BLAS / scalar against the memory bound.",
        discussion: """
            Data is synthetic, for latency only. BM25 runs on each corpus of --bm25-corpora: `english` and
            `chinese` are seeded corpora of distinct documents whose vocabulary follows real text (Zipf-like, over
            100k terms at 1M documents; see ScaleCorpus), `repeated` is the old micro-benchmark (pairs of the
            suites' utterances, 5,920 distinct documents repeated). Dense uses clustered random unit vectors and
            reports each figure as a multiple of the read bandwidth bound measured in the same run. Never used for
            accuracy claims, except the int8 store's recall@10 against exact search on the same vectors.
            --export DIR writes the data of the --export-sizes for scripts/peers/run_peers.sh: DIR/SIZE/ (the
            repeated corpus and the vectors) and DIR/CORPUS/SIZE/ (the real-text corpora).
            """)

    @Option(help: "Index sizes (comma-separated).")
    var sizes = "1000,10000,100000,1000000"

    @Option(help: "Vector dimension.")
    var dimension = 384

    @Option(help: "Queries per dense measurement.")
    var queries = 200

    @Option(help: "Queries per BM25 measurement (the real-text corpora draw their own; the repeated one cycles its set).")
    var bm25Queries = 2000

    @Option(help: "Directory holding suites/.")
    var corpora = "corpora"

    @Option(help: "Directory for the reports.")
    var reports = "reports"

    @Option(help: "BM25 corpora (comma-separated): english, chinese, repeated.")
    var bm25Corpora = "english,chinese,repeated"

    @Option(help: "Postings over a query's terms from which BM25 prunes (block-max); below, it scores exhaustively.")
    var pruningFrom = BM25Index.defaultPruningMinimumPostings

    @Option(help: "Sizes at which an HNSW graph is built and measured (comma-separated; a 1M build takes minutes).")
    var hnswSizes = "100000"

    @Option(help: "Search candidate lists (hnswlib's ef) each graph is also measured at, beside the default 128.")
    var hnswEf = "256,512,1024,2048"

    @Flag(inversion: .prefixedNo, help: "Measure the dense indexes (--no-dense measures BM25 alone and writes no report).")
    var dense = true

    @Option(help: "Also write the data of the --export-sizes here, for the peers script.")
    var export: String?

    @Option(help: "Sizes whose data --export writes (comma-separated).")
    var exportSizes = "10000,100000"

    func run() async throws {
        BLASThreads.set(1)
        if let warning = BLASThreads.genericKernelWarning() { progress("warning: " + warning) }
        let bandwidth = ReadBandwidth.measure()
        progress(String(format: "OpenBLAS core %@; one-thread read bandwidth %.1f GB/s (explicit SIMD kernel), %.1f GB/s (STREAM-style loop)",
                        BLASThreads.coreName, bandwidth.kernel / 1e9, bandwidth.reference / 1e9))
        let sizes = sizes.split(separator: ",").compactMap { Int($0) }
        let exported = Set(exportSizes.split(separator: ",").compactMap { Int($0) })
        let kinds = bm25Corpora.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        if let unknown = kinds.first(where: { !["english", "chinese", "repeated"].contains($0) }) {
            throw ValidationError("unknown corpus '\(unknown)': use english, chinese or repeated")
        }
        let segmenter = try JiebaSegmenter(directory: URL(fileURLWithPath: corpora + "/jieba"))
        let tokenizer = SearchTokenizer(segmenter: segmenter)
        let utterances = try englishUtterances()
        progress("\(utterances.count) base utterances")
        let baseTerms = utterances.map(tokenizer.terms)
        var generator = SeededGenerator(seed: 2026)
        let queryTerms = (0..<bm25Queries).map { _ in baseTerms[Int.random(in: 0..<baseTerms.count, using: &generator)] }
        let realText = try englishRealText(utterances: utterances)
        let dictionary = kinds.contains("chinese") ? try JiebaDictionaryFile.entries(corpora + "/jieba/dict.txt") : []
        var rows: [ScaleRow] = []
        var bm25Rows: [BM25ScaleRow] = []
        for size in sizes {
            progress("size \(size)…")
            for kind in kinds {
                let started = ContinuousClock.now
                let corpus: ScaleCorpus
                switch kind {
                case "english":
                    corpus = ScaleCorpus.english(documentCount: size, queryCount: bm25Queries, realText: realText)
                case "chinese":
                    corpus = ScaleCorpus.chinese(documentCount: size, queryCount: bm25Queries, dictionary: dictionary) {
                        tokenizer.terms($0)
                    }
                default:
                    corpus = ScaleCorpus(repeating: baseTerms, count: size, queries: queryTerms)
                }
                let generated = (ContinuousClock.now - started).seconds
                if let export, exported.contains(size), kind != "repeated" {
                    try exportText(documents: corpus.documents, queryTerms: corpus.queries, to: "\(export)/\(kind)/\(size)")
                }
                var row = measureBM25(corpus, name: kind, size: size)
                row.generationSeconds = generated
                bm25Rows.append(row)
                progress("  " + row.summary)
            }
            guard dense else { continue }
            let vectors = ClusteredVectors(count: size, dimension: dimension, seed: UInt64(size))
            let queryVectors = ClusteredVectors(count: queries, dimension: dimension, seed: 99, centresSeed: UInt64(size))
            if let export, exported.contains(size) {
                let documents = ScaleCorpus(repeating: baseTerms, count: size, queries: queryTerms).documents
                try exportText(documents: documents, queryTerms: queryTerms, to: "\(export)/\(size)")
                try exportVectors(vectors: vectors, queryVectors: queryVectors, to: "\(export)/\(size)")
            }
            var row = try measureDense(size: size, vectors: vectors, queryVectors: queryVectors)
            row.memoryBoundMs = bandwidth.milliseconds(toRead: row.bytesF32)
            row.int8BoundMs = bandwidth.milliseconds(toRead: row.bytesInt8)
            rows.append(row)
            progress("  " + rows.last!.summary)
        }
        guard dense else { return }
        try writeJSON(ScaleReport(bandwidth: bandwidth, dense: rows, bm25: bm25Rows), to: reports + "/scale.json")
        let markdown = ScaleRow.markdown(rows, dimension: dimension, queries: queries, bandwidth: bandwidth)
            + "\n" + BM25ScaleRow.markdown(bm25Rows, queries: bm25Queries)
            + "\nReproduce: `swift run -c release vividcrowd-bench scale`; peers: `scripts/peers/run_peers.sh`.\n"
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

    private func measureBM25(_ corpus: ScaleCorpus, name: String, size: Int) -> BM25ScaleRow {
        var row = BM25ScaleRow(corpus: name, size: size)
        row.distinctDocuments = corpus.distinctDocumentCount
        row.vocabulary = corpus.vocabularySize
        row.meanLength = Double(corpus.documents.reduce(0) { $0 + $1.count }) / Double(max(1, size))
        let started = ContinuousClock.now
        var lexical = BM25Index(documents: corpus.documents)
        lexical.pruningMinimumPostings = pruningFrom
        row.buildSeconds = (ContinuousClock.now - started).seconds
        row.postingBytes = lexical.postingBytes
        row.pruningTableBytes = lexical.pruningTableBytes
        var scratch = ScoreAccumulator(documentCount: size)
        for query in corpus.queries { _ = lexical.search(query, k: 10, scratch: &scratch) }  // warm-up
        // Query by query, alternating which path goes first: measured in two blocks, whichever ran first was up to
        // 30% slower here (a VM that reclaims freshly built memory in the background).
        var pruned: [Double] = [], exhaustive: [Double] = []
        for (number, query) in corpus.queries.enumerated() {
            let prunedFirst = number.isMultiple(of: 2)
            for path in prunedFirst ? [true, false] : [false, true] {
                let begin = ContinuousClock.now
                if path {
                    _ = lexical.search(query, k: 10, scratch: &scratch)
                } else {
                    _ = lexical.exhaustiveSearch(query, k: 10, scratch: &scratch)
                }
                let milliseconds = (ContinuousClock.now - begin).seconds * 1000
                if path { pruned.append(milliseconds) } else { exhaustive.append(milliseconds) }
            }
        }
        row.latency = LatencySummary(milliseconds: pruned)
        row.queriesPerSecond = Double(pruned.count) / max(1e-9, pruned.reduce(0, +) / 1000)
        row.exhaustive = LatencySummary(milliseconds: exhaustive)
        row.exhaustiveQueriesPerSecond = Double(exhaustive.count) / max(1e-9, exhaustive.reduce(0, +) / 1000)
        return row
    }

    private func measureDense(size: Int, vectors: ClusteredVectors, queryVectors: ClusteredVectors) throws -> ScaleRow {
        var row = ScaleRow(size: size)
        let started = ContinuousClock.now
        let dense = try DenseIndex(dimension: dimension, vectors: vectors.rows)
        row.denseBuildSeconds = (ContinuousClock.now - started).seconds
        row.denseF32 = try Self.timed(queryVectors.rows) { _ = try dense.search($0, k: 10) }
        row.denseSGEMV = try Self.timed(queryVectors.rows) { _ = Self.sgemvSearch(dense, try dense.scores(for: $0), k: 10) }
        let scalarQueries = Array(queryVectors.rows.prefix(size >= 100_000 ? 20 : queryVectors.rows.count))
        row.denseScalar = try Self.timed(scalarQueries) { _ = Self.scalarSearch(dense, $0, k: 10) }
        let quantised = QuantizedDenseIndex(dense)
        row.denseInt8 = try Self.timed(queryVectors.rows) { _ = try quantised.search($0, k: 10) }
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
        if hnswSizes.split(separator: ",").compactMap({ Int($0) }).contains(size) {
            let buildStarted = ContinuousClock.now
            let graph = try HNSWIndex(dense)
            row.hnswBuildSeconds = (ContinuousClock.now - buildStarted).seconds
            row.hnswBytes = graph.graphBytes
            let exact = try queryVectors.rows.map { Set(try dense.search($0, k: 10).map(\.document)) }
            func recall(_ graph: HNSWIndex) throws -> Double {
                var found = 0
                for (query, truth) in zip(queryVectors.rows, exact) {
                    found += truth.intersection(try graph.search(query, k: 10).map(\.document)).count
                }
                return Double(found) / Double(max(1, queryVectors.rows.count * 10))
            }
            // Recall first, then time, at every candidate list: the peers script measures hnswlib in this order, so
            // both are timed over a graph the same queries have just walked.
            row.hnswRecallAt10 = try recall(graph)
            row.hnsw = try Self.timed(queryVectors.rows) { _ = try graph.search($0, k: 10) }
            row.hnswSweep = [HNSWSweepPoint(ef: graph.parameters.searchCandidates, latency: row.hnsw!, recallAt10: row.hnswRecallAt10!)]
            // Other candidate lists on the same graph: saved once, read back with each (a graph's ef is fixed when
            // it is opened, so searches may share it).
            let candidateLists = hnswEf.split(separator: ",").compactMap { Int($0) }
            if !candidateLists.isEmpty {
                let file = FileManager.default.temporaryDirectory.appendingPathComponent("vividcrowd-scale-\(UUID().uuidString).bin")
                defer { try? FileManager.default.removeItem(at: file) }
                try graph.save(to: file)
                for ef in candidateLists {
                    var parameters = graph.parameters
                    parameters.searchCandidates = ef
                    let wider = try HNSWIndex(loading: file, exact: dense, parameters: parameters)
                    let recallAt10 = try recall(wider)
                    let latency = try Self.timed(queryVectors.rows) { _ = try wider.search($0, k: 10) }
                    row.hnswSweep?.append(HNSWSweepPoint(ef: ef, latency: latency, recallAt10: recallAt10))
                }
            }
        }
        row.bytesF32 = size * dimension * 4
        row.bytesInt8 = size * (dimension + MemoryLayout<Float>.stride)
        return row
    }

    /// Each query's latency through `body`, after one untimed call.
    static func timed(_ queries: [[Float]], _ body: ([Float]) throws -> Void) rethrows -> LatencySummary {
        if let first = queries.first { try body(first) }
        var latencies: [Double] = []
        for query in queries {
            let begin = ContinuousClock.now
            try body(query)
            latencies.append((ContinuousClock.now - begin).seconds * 1000)
        }
        return LatencySummary(milliseconds: latencies)
    }

    /// The path the fused kernel replaced: every score through `cblas_sgemv`, then a heap over them.
    static func sgemvSearch(_ index: DenseIndex, _ scores: [Float], k: Int) -> Int {
        var best = -Float.infinity, kept = 0
        var heap = [Float]()
        for score in scores where heap.count < k || score > best {
            heap.append(score)
            if heap.count > k {
                heap.sort(by: >)
                heap.removeLast()
                best = heap.last ?? best
            }
            kept += 1
        }
        return kept
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

    private func exportText(documents: [[String]], queryTerms: [[String]], to folder: String) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try (documents.map { $0.joined(separator: " ") }.joined(separator: "\n") + "\n")
            .write(toFile: folder + "/docs.txt", atomically: true, encoding: .utf8)
        try (queryTerms.map { $0.joined(separator: " ") }.joined(separator: "\n") + "\n")
            .write(toFile: folder + "/queries.txt", atomically: true, encoding: .utf8)
    }

    private func exportVectors(vectors: ClusteredVectors, queryVectors: ClusteredVectors, to folder: String) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try VectorCodec.encode(vectors.rows.flatMap { DenseIndex.normalised($0) }).write(to: URL(fileURLWithPath: folder + "/vectors.f32"))
        try VectorCodec.encode(queryVectors.rows.flatMap { DenseIndex.normalised($0) })
            .write(to: URL(fileURLWithPath: folder + "/queries.f32"))
    }

    /// The suites' utterances and the shipped twin texts: the real English whose word ranks head the vocabulary.
    private func englishRealText(utterances: [String]) throws -> [String] {
        let twins = try FileManager.default.contentsOfDirectory(atPath: corpora + "/twins").filter { $0.hasSuffix(".txt") }
        return try utterances + twins.sorted().map { try String(contentsOfFile: "\(corpora)/twins/\($0)", encoding: .utf8) }
    }
}

extension ScaleCorpus {
    /// The micro-benchmark corpus: pairs of base documents, repeated to the size.
    init(repeating base: [[String]], count: Int, queries: [[String]]) {
        self.init(
            language: .english,
            documents: (0..<count).map { i in base[i % base.count] + base[(i &* 7919 &+ 13) % base.count] },
            queries: queries, queryOrigins: [])
    }
}

/// jieba's `dict.txt`: a word, its frequency and its part of speech per line.
enum JiebaDictionaryFile {
    static func entries(_ path: String) throws -> [(word: String, frequency: Int)] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count >= 2, let frequency = Int(fields[1]) else { return nil }
            return (String(fields[0]), frequency)
        }
    }
}

/// The whole report: the bound, the dense sweep and BM25 on each corpus.
struct ScaleReport: Codable {
    var bandwidth: ReadBandwidth
    var dense: [ScaleRow]
    var bm25: [BM25ScaleRow]
}

/// BM25 top-10 on one corpus at one size.
struct BM25ScaleRow: Codable {
    var corpus: String
    var size: Int
    var distinctDocuments = 0
    var vocabulary = 0
    var meanLength = 0.0
    var generationSeconds = 0.0
    var buildSeconds = 0.0
    var postingBytes = 0
    var pruningTableBytes = 0
    var queriesPerSecond = 0.0
    var latency = LatencySummary(milliseconds: [])
    var exhaustiveQueriesPerSecond = 0.0
    var exhaustive = LatencySummary(milliseconds: [])

    init(corpus: String, size: Int) {
        self.corpus = corpus
        self.size = size
    }

    enum CodingKeys: String, CodingKey {
        case corpus, size, vocabulary
        case distinctDocuments = "distinct_documents"
        case meanLength = "mean_terms"
        case generationSeconds = "generation_s"
        case buildSeconds = "build_s"
        case postingBytes = "posting_bytes"
        case pruningTableBytes = "pruning_table_bytes"
        case queriesPerSecond = "qps"
        case latency = "latency_ms"
        case exhaustiveQueriesPerSecond = "exhaustive_qps"
        case exhaustive = "exhaustive_latency_ms"
    }

    var summary: String {
        String(format: "BM25 %@: %d distinct documents, %d terms; build %.1f s; postings %.0f MB, pruning tables %.1f MB; %.0f q/s, p50 %.3f ms, p99 %.3f ms (exhaustive %.0f q/s, p50 %.3f, p99 %.3f)",
               corpus, distinctDocuments, vocabulary, buildSeconds, Double(postingBytes) / 1e6, Double(pruningTableBytes) / 1e6,
               queriesPerSecond, latency.p50, latency.p99,
               exhaustiveQueriesPerSecond, exhaustive.p50, exhaustive.p99)
    }

    static func markdown(_ rows: [BM25ScaleRow], queries: Int) -> String {
        var text = """
            ## BM25

            Top-10 of \(queries) queries, one at a time, scores as rank_bm25: block-max pruning over blocks of 32
            documents (the default `search`, for queries over more than \(BM25Index.defaultPruningMinimumPostings)
            postings) and, for reference, exhaustive scoring of every posting (same results, checked by a test).
            Postings: document numbers and precomputed weights; pruning tables: one byte per block for each term with
            postings in at least half the blocks. `english` and `chinese`: seeded corpora of
            distinct documents whose vocabulary follows real text (Zipf-like ranks, topics; English 20–60 words,
            Chinese 35–100 characters, segmented by jieba); each query is 2–4 terms of one document. `repeated`: the
            old micro-benchmark, pairs of 5,920 suite utterances repeated to the size.

            | corpus | size | distinct documents | distinct terms | mean terms | build s | postings MB | pruning tables MB | q/s | p50 ms | p99 ms | exhaustive q/s | exhaustive p50 ms | exhaustive p99 ms |
            |---|---|---|---|---|---|---|---|---|---|---|---|---|---|

            """
        for row in rows {
            text += String(format: "| %@ | %d | %d | %d | %.1f | %.1f | %.0f | %.1f | %.0f | %.4f | %.4f | %.0f | %.4f | %.4f |\n", row.corpus,
                           row.size, row.distinctDocuments, row.vocabulary, row.meanLength, row.buildSeconds,
                           Double(row.postingBytes) / 1e6, Double(row.pruningTableBytes) / 1e6, row.queriesPerSecond,
                           row.latency.p50, row.latency.p99, row.exhaustiveQueriesPerSecond, row.exhaustive.p50, row.exhaustive.p99)
        }
        return text
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
    var denseBuildSeconds = 0.0
    var denseF32 = LatencySummary(milliseconds: [])
    var denseSGEMV = LatencySummary(milliseconds: [])
    var denseScalar = LatencySummary(milliseconds: [])
    var denseInt8 = LatencySummary(milliseconds: [])
    var int8RecallAt10 = 0.0
    var batch64MsPerQuery = 0.0
    var batch64GFLOPS = 0.0
    var bytesF32 = 0
    var memoryBoundMs = 0.0
    var bytesInt8 = 0
    var int8BoundMs = 0.0
    var hnswBuildSeconds: Double?
    var hnswBytes: Int?
    var hnsw: LatencySummary?
    var hnswRecallAt10: Double?
    /// The graph at each candidate list measured, the default first.
    var hnswSweep: [HNSWSweepPoint]?

    init(size: Int) { self.size = size }

    enum CodingKeys: String, CodingKey {
        case size
        case denseBuildSeconds = "dense_build_s"
        case denseF32 = "dense_f32_ms"
        case denseScalar = "dense_scalar_ms"
        case denseInt8 = "dense_int8_ms"
        case int8RecallAt10 = "int8_recall_at_10"
        case batch64MsPerQuery = "batch64_ms_per_query"
        case batch64GFLOPS = "batch64_gflops"
        case bytesF32 = "f32_bytes"
        case memoryBoundMs = "memory_bound_ms"
        case denseSGEMV = "dense_sgemv_ms"
        case bytesInt8 = "int8_bytes"
        case int8BoundMs = "int8_memory_bound_ms"
        case hnswBuildSeconds = "hnsw_build_s"
        case hnswBytes = "hnsw_bytes"
        case hnsw = "hnsw_ms"
        case hnswRecallAt10 = "hnsw_recall_at_10"
        case hnswSweep = "hnsw_sweep"
    }

    var summary: String {
        String(format: "f32 p50 %.3f ms (bound %.3f); int8 p50 %.3f ms (recall@10 %.3f); scalar p50 %.3f ms; batch64 %.1f GFLOP/s",
               denseF32.p50, memoryBoundMs, denseInt8.p50, int8RecallAt10, denseScalar.p50, batch64GFLOPS)
    }

    static func markdown(_ rows: [ScaleRow], dimension: Int, queries: Int, bandwidth: ReadBandwidth) -> String {
        var text = """
            # Index size sweep (one thread)

            ## Dense

            Dense: \(dimension)-d clustered unit vectors, top-10 of one query. f32 = the own kernel (AVX-512/AVX2, four
            rows per pass, top-k fused); sgemv = OpenBLAS sgemv for every score, then a heap (the path it replaced);
            int8 = the int8 kernel (top-k fused) then exact rescoring of 10×k; scalar = a plain Swift loop; batch = 64
            queries through one sgemm.

            Memory bound = bytes of the matrix / one thread's sequential read bandwidth, measured in the same run by two
            C kernels over 256 MB: \(String(format: "%.1f", bandwidth.kernel / 1e9)) GB/s explicit AVX-512/AVX2,
            \(String(format: "%.1f", bandwidth.reference / 1e9)) GB/s STREAM-style loop; the bound uses the faster. "× bound"
            is p50 ÷ bound (1.0 = at the bound); int8's bound counts its codes and scales.
            OpenBLAS core: \(BLASThreads.coreName).

            | size | f32 p50 ms | f32 bound ms | f32 × bound | sgemv p50 ms | int8 p50 ms | int8 bound ms | int8 × bound | int8 recall@10 | scalar p50 ms | batch64 ms/query | batch64 GFLOP/s |
            |---|---|---|---|---|---|---|---|---|---|---|---|

            """
        for row in rows {
            text += String(format: "| %d | %.3f | %.3f | %.2f | %.3f | %.3f | %.3f | %.2f | %.3f | %.3f | %.4f | %.1f |\n",
                           row.size, row.denseF32.p50, row.memoryBoundMs,
                           row.denseF32.p50 / max(row.memoryBoundMs, 1e-9), row.denseSGEMV.p50, row.denseInt8.p50,
                           row.int8BoundMs, row.denseInt8.p50 / max(row.int8BoundMs, 1e-9), row.int8RecallAt10,
                           row.denseScalar.p50, row.batch64MsPerQuery, row.batch64GFLOPS)
        }
        let graphs = rows.filter { $0.hnsw != nil }
        if !graphs.isEmpty {
            text += """

                HNSW (hnswlib through the CHNSW shim, distances by the \(HNSWIndex.Kernel.selected) kernel; M 16,
                ef_construction 200, ef 128, the k found re-scored exactly), built on one thread; recall@10 against exact
                search on the same queries.

                | size | build s | graph MB | p50 ms | p99 ms | recall@10 |
                |---|---|---|---|---|---|

                """
            for row in graphs {
                text += String(format: "| %d | %.1f | %.1f | %.4f | %.4f | %.3f |\n", row.size, row.hnswBuildSeconds ?? 0,
                               Double(row.hnswBytes ?? 0) / 1e6, row.hnsw?.p50 ?? 0, row.hnsw?.p99 ?? 0, row.hnswRecallAt10 ?? 0)
            }
            text += "\nThe same graphs searched with other candidate lists (ef):\n\n| size | ef | p50 ms | p99 ms | recall@10 |\n|---|---|---|---|---|\n"
            for row in graphs {
                for point in row.hnswSweep ?? [] {
                    text += String(format: "| %d | %d | %.4f | %.4f | %.3f |\n", row.size, point.ef, point.latency.p50,
                                   point.latency.p99, point.recallAt10)
                }
            }
        }
        return text
    }

    static func chart(_ rows: [ScaleRow]) -> String {
        let series: [(String, String, (ScaleRow) -> Double)] = [
            ("dense f32 (own kernel)", "#f28e2b", { $0.denseF32.p50 }), ("dense f32 (BLAS sgemv)", "#4e79a7", { $0.denseSGEMV.p50 }),
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

/// One candidate-list size (ef) an HNSW graph was searched with: latency and recall@10 against exact search.
struct HNSWSweepPoint: Codable {
    var ef: Int
    var latency: LatencySummary
    var recallAt10: Double

    enum CodingKeys: String, CodingKey {
        case ef, latency = "ms"
        case recallAt10 = "recall_at_10"
    }
}
