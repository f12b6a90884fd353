import ArgumentParser
import Foundation
import VividCrowdCore
import VividCrowdEvaluation

/// Benchmarks any knowledge base: BM25, dense and hybrid side by side.
struct RetrievalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retrieval",
        abstract: "Benchmark matching on your own knowledge base (5-column CSV) and labelled queries (JSON lines).",
        discussion: """
            Queries: one JSON object per line, {"query": "...", "expected": "<topic_name>"}, with "expected": null for
            questions the knowledge base should not answer. With --calibration (same format, disjoint from the
            queries) the hybrid weight, the confidence model and the band thresholds are fitted first.
            Embeddings come from the configured server (EMBEDDING_BASE_URL, EMBEDDING_MODEL) and LLM_MODE's cassette.
            Example:
              vividcrowd-bench retrieval --kb corpora/suites/clinc150/kb-10shot.csv \\
                --queries corpora/suites/clinc150/queries.jsonl --calibration corpora/suites/clinc150/calibration.jsonl \\
                --method all --json /tmp/clinc.json
            """)

    @Option(help: "Knowledge base CSV (question_count, topic_name, typical_question, standard_script, risk_notes).")
    var kb: String

    @Option(help: "Labelled queries (JSON lines).")
    var queries: String

    @Option(help: "Labelled calibration queries (JSON lines), disjoint from --queries.")
    var calibration: String?

    @Option(help: "bm25, dense, hybrid-default (uncalibrated), hybrid-self (calibrated from the knowledge base), hybrid (calibrated on --calibration), vividcrowd (the original formula) or all.")
    var method = "all"

    @Option(help: "Phrasing prefix for E5 models: symmetric (query/query) or asymmetric (passage/query).")
    var prefix: PrefixMode = .symmetric

    @Option(help: "Cassette name for the embeddings (in CASSETTE_DIR).")
    var cassette = "embeddings-custom"

    @Option(help: "Write the figures as one JSON object to this file.")
    var json: String?

    @Option(help: "Directory of jieba's data.")
    var corpora = "corpora"

    func run() async throws {
        let settings = try VividCrowdConfiguration.load()
        LoggingSetup.bootstrap(settings)
        let methods: [RetrievalBenchmark.Method]
        if method == "all" {
            methods = RetrievalBenchmark.Method.allCases
        } else if let single = RetrievalBenchmark.Method(rawValue: method) {
            methods = [single]
        } else {
            throw ValidationError("--method must be bm25, dense, hybrid-default, hybrid-self, hybrid, vividcrowd or all")
        }
        let entries = try KnowledgeBaseCSV.parse(Data(contentsOf: URL(fileURLWithPath: kb))).entries
        let evaluation = try LabelledQuery.load(jsonLines: Data(contentsOf: URL(fileURLWithPath: queries)), source: queries)
        let calibrationQueries = try calibration.map {
            try LabelledQuery.load(jsonLines: Data(contentsOf: URL(fileURLWithPath: $0)), source: $0)
        } ?? []
        let tokenizer = SearchTokenizer(segmenter: try JiebaSegmenter(directory: URL(fileURLWithPath: corpora + "/jieba")))
        let client = try LLMClient.make(configuration: settings, cassetteName: cassette)
        let results: [MethodResult]
        do {
            results = try await RetrievalBenchmark(tokenizer: tokenizer, client: client).run(
                entries: entries, queries: evaluation, calibration: calibrationQueries, methods: methods, prefix: prefix,
                defaultCalibration: CustomerServiceMatcher.defaultCalibration(settings.matching))
            try await client.shutdown()
        } catch {
            try? await client.shutdown()
            throw error
        }
        let reports = results.map(MethodReport.init)
        print("\(entries.count) entries, \(evaluation.count) queries, \(calibrationQueries.count) calibration queries\n")
        print(MethodReport.header)
        for report in reports { print(report.row) }
        if let json {
            if reports.count == 1 {
                try writeJSON(reports[0], to: json)
            } else {
                try writeJSON(Dictionary(uniqueKeysWithValues: reports.map { ($0.method, $0) }), to: json)
            }
        }
    }
}

extension PrefixMode: ExpressibleByArgument {}
