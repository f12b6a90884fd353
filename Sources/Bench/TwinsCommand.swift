import ArgumentParser
import Foundation
import VividCrowdCore
import VividCrowdDocuments
import VividCrowdEvaluation

/// Document-grounded retrieval for twins on QA suites: recall, refusal without evidence, pages, latency, ingestion.
struct TwinsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "twins",
        abstract: "Twin retrieval on document-QA suites: recall@k, MRR, refusal without evidence, page accuracy, speed.",
        discussion: """
            --suite DIR is one suite folder (docs.jsonl, docs/<doc>.txt, queries.jsonl; the format of \
            ../shared/data/twins-qa, documented in its SOURCE.md) or a folder of them. --pdf DIR is a folder of \
            <doc>.pdf files with one queries.jsonl carrying answer_pages; each twin is then built from its PDF end to \
            end (MuPDF, chunking, index). A hit is a ranked chunk that holds the gold answer: its position and text in \
            text suites, its text (whitespace-insensitive) in PDF suites.

            Refusal uses the evidence gate in --gate (fitted on a split of the dev suites with --fit-gate, never on the \
            questions it is measured on); without one, the documented lexical default. Embeddings replay from \
            corpora/cassettes/embeddings-twins-<suite>.json; for other documents start an embedding server \
            (scripts/local-models.sh start; eval "$(scripts/local-models.sh env)") and pass --llm-mode auto, or run \
            --method bm25, which needs none. Writes reports/twins.{md,json}.
            Examples:
              vividcrowd-bench twins --suite ../shared/data/twins-qa --pdf ../shared/data/twins-qa/pdf --peers
              vividcrowd-bench twins --suite DIR --method bm25 --json /tmp/twins.json
            """)

    @Option(help: "A suite folder, or a folder of suite folders (repeatable).")
    var suite: [String] = []

    @Option(help: "A folder of <doc>.pdf files and queries.jsonl with answer_pages (repeatable).")
    var pdf: [String] = []

    @Option(help: "Write one JSON object keyed by suite name to this file (reports/twins.json is always written).")
    var json: String?

    @Option(help: "hybrid (BM25 + embeddings, gated), bm25 (no embeddings) or all.")
    var method = "hybrid"

    @Option(help: "The evidence gate (JSON) to refuse with.")
    var gate = "corpora/twins/evidence-gate.json"

    @Option(help: "Fit the gate on the calibration half of the suites' documents, write it here, and report the other half.")
    var fitGate: String?

    @Option(help: "Report all documents, or only the calibration or evaluation half of the split.")
    var half: Half = .all

    @Option(help: "Write the answerable questions missed at rank 1 (JSON lines, with the top chunk) to this file.")
    var misses: String?

    @Option(help: "Pages of the long document PDF suites are also timed on (their passages repeated).")
    var longDocumentPages = 500

    @Flag(help: "Also time PyMuPDF's text extraction on the same PDFs (scripts/peers/pymupdf-pages.sh).")
    var peers = false

    @Option(help: "Ask the questions as written, or folded to simplified characters (a simplified reader of a traditional document).")
    var questions: QuestionScript = .asWritten

    @Flag(inversion: .prefixedNo, help: "Embed each question in its document's script, as twins do (--no-question-script measures without).")
    var questionScript = true

    @OptionGroup var suiteOptions: SuiteOptions

    enum Half: String, ExpressibleByArgument, CaseIterable { case all, calibration, evaluation }

    enum QuestionScript: String, ExpressibleByArgument, CaseIterable {
        case asWritten = "as-written"
        case simplified
    }

    func run() async throws {
        guard !suite.isEmpty || !pdf.isEmpty else { throw ValidationError("give at least one --suite or --pdf folder") }
        let methods: [String]
        switch method {
        case "all": methods = ["bm25", "hybrid"]
        case "bm25", "hybrid": methods = [method]
        default: throw ValidationError("--method must be hybrid, bm25 or all")
        }
        let settings = try suiteOptions.settings()
        BLASThreads.set(1)
        // As twins are served: traditional Chinese folded to simplified (OpenCC's character table).
        let folding = try ChineseScriptFolding(directory: URL(fileURLWithPath: suiteOptions.corpora + "/opencc"))
        let tokenizer = SearchTokenizer(
            segmenter: try JiebaSegmenter(directory: URL(fileURLWithPath: suiteOptions.corpora + "/jieba")), scriptFolding: folding)
        var configured = TwinsBenchmark(tokenizer: tokenizer, reader: DocumentReader(pdf: MuPDFTextReader()))
        configured.convertsQuestionScript = questionScript
        let benchmark = configured
        var suites: [TwinsSuite] = []
        for folder in suite { suites += try TwinsSuite.folders(at: folder, pdf: false).map { try TwinsSuite.load($0, source: .text) } }
        for folder in pdf { suites += try TwinsSuite.folders(at: folder, pdf: true).map { try TwinsSuite.load($0, source: .pdf) } }
        if questions == .simplified { suites = suites.map { $0.askedInSimplified(folding) } }

        var reports: [TwinsSuiteReport] = []
        var missed: [[String: String]] = []
        for method in methods {
            var prepared: [TwinsBenchmark.Prepared] = []
            for suite in suites {
                progress("\(suite.name): \(suite.documents.count) documents, \(suite.queries.count) questions (\(method))…")
                prepared.append(try await ProgressReporter.reporting("\(suite.name), texts embedded") {
                    try await prepare(suite, benchmark: benchmark, settings: settings, embed: method == "hybrid")
                })
            }
            var gates = try loadGates(method: method)
            var half = self.half
            if let fitGate, method == "hybrid" {
                gates = try EvidenceCalibration.fitPerLanguage(
                    prepared.map { EvidenceCalibration.half($0, calibration: true) }, benchmark: benchmark,
                    embeddingModel: settings.llm.embeddingModel)
                try writeJSON(gates, to: fitGate)
                let counts = gates.byLanguage.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.calibrationQueries)" }
                progress("gates fitted on the calibration half (\(counts.joined(separator: ", ")) questions), written to \(fitGate)")
                half = .evaluation
            }
            for item in prepared {
                let part = half == .all ? item : EvidenceCalibration.half(item, calibration: half == .calibration)
                var report = try benchmark.evaluate(part, gates: gates, method: method)
                // Ranking every question again is only worth it when the misses were asked for.
                if misses != nil { missed += try benchmark.misses(part, gates: gates) }
                if peers, item.suite.source == .pdf { report.peerPagesPerSecond = try PyMuPDFPeer.pagesPerSecond(item.suite.folder) }
                if item.suite.source == .pdf { report.longDocument = try benchmark.longDocumentLatency(part, pages: longDocumentPages, gates: gates) }
                reports.append(report)
            }
        }
        let markdown = TwinsReportFormat.markdown(reports, arguments: CommandLine.arguments.dropFirst().joined(separator: " "))
        print(markdown)
        try writeText(markdown, to: suiteOptions.reports + "/twins.md")
        let keyed = Dictionary(reports.map { (methods.count > 1 ? "\($0.suite)/\($0.method)" : $0.suite, $0) }, uniquingKeysWith: { $1 })
        try writeJSON(keyed, to: suiteOptions.reports + "/twins.json")
        if let json { try writeJSON(keyed, to: json) }
        if let misses {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            try writeText(try missed.map { String(decoding: try encoder.encode($0), as: UTF8.self) }.joined(separator: "\n") + "\n", to: misses)
        }
    }

    func loadGates(method: String) throws -> EvidenceGates {
        guard method == "hybrid" else { return .lexical }
        guard let loaded = try EvidenceGates.load(path: gate) else {
            progress("no evidence gate at \(gate): refusing with the lexical default")
            return .lexical
        }
        let applicable = loaded.applicable(to: suiteOptions.embeddingModel)
        if applicable != loaded { progress("a gate in \(gate) was fitted for another embedding model: the lexical default stands in for it") }
        return applicable
    }

    func prepare(
        _ suite: TwinsSuite, benchmark: TwinsBenchmark, settings: VividCrowdConfiguration, embed: Bool
    ) async throws -> TwinsBenchmark.Prepared {
        guard embed else { return try await benchmark.prepare(suite, embed: nil) }
        let cassette = "embeddings-twins-\(suite.name)"
        let client = try LLMClient.make(configuration: settings, cassetteName: cassette)
        do {
            let prepared = try await benchmark.prepare(suite) { texts, inputType in
                try await EmbeddingTable.embed(texts, inputType: inputType, client: client)
            }
            try await client.shutdown()
            return prepared
        } catch {
            try? await client.shutdown()
            if case LLMError.cassetteMiss = error {
                throw CommandFailure(
                    "the cassette \(cassette) does not hold the embeddings of suite \(suite.name): start an embedding server "
                        + "(scripts/local-models.sh start) and pass --llm-mode auto, or run --method bm25")
            }
            throw error
        }
    }
}

/// The Markdown table of `vividcrowd-bench twins`.
enum TwinsReportFormat {
    static func markdown(_ reports: [TwinsSuiteReport], arguments: String) -> String {
        func percent(_ value: Double?) -> String { value.map { String(format: "%.1f", $0 * 100) } ?? "–" }
        func number(_ value: Double?, _ format: String = "%.3f") -> String { value.map { String(format: format, $0) } ?? "–" }
        var lines = [
            "# Twins: document-grounded retrieval", "",
            "`vividcrowd-bench \(arguments)`", "",
            "| suite | method | docs | chunks | mean chunk chars | R@1 | R@3 | R@5 | MRR | no-evidence refused % (same-topic / other-doc) | answerable refused % | AUC (same-topic / other-doc) | page acc % | cited page % | p50 / p99 ms | pages/s (PyMuPDF) |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in reports {
            lines.append(
                "| \(r.suite) | \(r.method) | \(r.documents) | \(r.chunks) | \(number(r.meanChunkChars, "%.0f")) | \(number(r.recallAt1)) | "
                    + "\(number(r.recallAt3)) | \(number(r.recallAt5)) | \(number(r.mrr)) | \(percent(r.noEvidenceRefused)) "
                    + "(\(percent(r.sameTopicRefused)) / \(percent(r.otherDocumentRefused))) | \(percent(r.answerableRefused)) | "
                    + "\(number(r.noEvidenceAUC)) (\(number(r.sameTopicAUC)) / \(number(r.otherDocumentAUC))) | "
                    + "\(percent(r.pageAccuracy)) | \(percent(r.citedPageAccuracy)) | \(number(r.retrievalP50Milliseconds, "%.3f")) / \(number(r.retrievalP99Milliseconds, "%.3f")) | "
                    + "\(number(r.pagesPerSecond, "%.0f")) (\(number(r.peerPagesPerSecond, "%.0f"))) |")
        }
        for r in reports {
            guard let long = r.longDocument else { continue }
            lines.append("")
            lines.append(
                "\(r.suite) (\(r.method)) as one \(long.pages)-page document (\(long.chunks) passages, the suite's repeated): "
                    + "retrieval p50 \(number(long.p50Milliseconds)) ms, p99 \(number(long.p99Milliseconds)) ms.")
        }
        lines += [
            "",
            "R@k: a chunk holding the gold answer among the top k (text suites: its position and text; PDF suites: its text, "
                + "whitespace-insensitive). Refusal: the evidence gate's decision on the top five chunks. Latency: tokenising "
                + "and ranking one question, its embedding excluded, one thread. pages/s: MuPDF read and chunking. Cited page: for "
                + "each answerable question whose answer is in a passage it was given, a reply restating the question with its "
                + "answer cites that passage; the share whose citation names a page the answer is printed on.",
        ]
        return lines.joined(separator: "\n") + "\n"
    }
}

/// PyMuPDF's text extraction speed on the same PDFs, from scripts/peers/pymupdf-pages.sh.
enum PyMuPDFPeer {
    static func pagesPerSecond(_ folder: URL) throws -> Double? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["scripts/peers/pymupdf-pages.sh", folder.path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            progress("PyMuPDF timing failed (exit \(process.terminationStatus)); see its output above")
            return nil
        }
        struct Timing: Decodable { var pages_per_second: Double }
        return try JSONDecoder().decode(Timing.self, from: data).pages_per_second
    }
}
