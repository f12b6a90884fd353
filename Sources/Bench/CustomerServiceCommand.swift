import ArgumentParser
import Foundation
import VividCrowdCore
import VividCrowdEvaluation

/// Runs a built-in suite through the customer-service mode itself (importer, matcher, bands) and reports the
/// band distribution and top-1 accuracy per band.
struct CustomerServiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "customer-service",
        abstract: "Band distribution and top-1 accuracy of the customer-service matcher on the built-in suites.",
        discussion: """
            Each suite's knowledge base is imported through the same importer the server uses (into an in-memory
            database) and every query is matched as a chat message would be; no reply is generated, so no chat
            LLM is called. Embeddings replay from corpora/cassettes/embeddings-<suite>.json.
            Example: vividcrowd-bench customer-service --suites qa,banking77,clinc150
            """)

    @Option(help: "Suites to run (comma-separated): qa, banking77, clinc150, hwu64.")
    var suites = "qa,banking77,clinc150,hwu64"

    @OptionGroup var suiteOptions: SuiteOptions

    struct SuiteFigures: Codable {
        var suite: String
        /// "configured" (the original's weights and thresholds, set), "import" (what an import gives: calibrated from
        /// the knowledge base itself, or the shipped default) or "labelled" (fitted on the suite's calibration split).
        var variant: String
        var knowledgeBase: String
        var queries: Int
        var outOfScope: Int
        var topAccuracy: Double
        var bands: [String: Band]
        /// Share of out-of-scope queries kept out of the verbatim and rewrite bands.
        var oosKeptOut: Double?
        var calibration: String
        /// Time per match (embedding from the store's cache, ranking, confidence), milliseconds.
        var latencyMs: LatencySummary

        struct Band: Codable {
            var count = 0
            var correct = 0
            var outOfScope = 0
        }

        enum CodingKeys: String, CodingKey {
            case suite, variant, queries, bands, calibration
            case knowledgeBase = "knowledge_base"
            case outOfScope = "out_of_scope"
            case topAccuracy = "top1_accuracy"
            case oosKeptOut = "oos_kept_out"
            case latencyMs = "latency_ms"
        }
    }

    func run() async throws {
        let settings = try suiteOptions.settings()
        BLASThreads.set(1)
        var figures: [SuiteFigures] = []
        for suite in suites.split(separator: ",").map(String.init) {
            progress("customer-service suite \(suite)…")
            let client = try LLMClient.make(configuration: settings, cassetteName: "embeddings-\(suite)")
            do {
                // Texts embedded, then questions matched: a bar on a terminal, a line every 5 s in a log.
                figures += try await ProgressReporter.reporting("customer-service \(suite)") {
                    try await runSuite(suite, settings: settings, client: client)
                }
                try await client.shutdown()
            } catch {
                try? await client.shutdown()
                throw error
            }
        }
        let markdown = Self.markdown(figures)
        try writeText(markdown, to: suiteOptions.reports + "/customer-service.md")
        try writeJSON(figures, to: suiteOptions.reports + "/customer-service.json")
        print(markdown)
    }

    private func runSuite(_ name: String, settings: VividCrowdConfiguration, client: LLMClient) async throws -> [SuiteFigures] {
        let suite = try BuiltInSuite(name: name, corpora: URL(fileURLWithPath: suiteOptions.corpora))
        let (kbData, kbFile, queries, calibration) = (suite.knowledgeBaseData, suite.knowledgeBaseFile, suite.queries, suite.calibration)
        var configured = settings
        configured.matching.configured = true
        var results: [SuiteFigures] = []
        // The suite cassettes embed every text once, sorted, as query-type vectors (see `vividcrowd-bench suites`);
        // warming a cache with that same request lets the importer and matcher run offline on it.
        let warmed = InMemoryEmbeddingCache()
        try await suite.warm(warmed, client: client)
        let texts = suite.texts
        let vectors = try await warmed.vectors(for: texts, model: client.models.embedding, inputType: "query").map { $0! }
        for (variant, variantSettings) in [("configured", configured), ("import", settings)] {
            let store = InMemoryStore()
            try await store.embeddings.store(vectors, for: texts, model: client.models.embedding, inputType: "query")
            let desk = try CustomerServiceDesk.make(
                store: store, llm: client, configuration: variantSettings,
                corpora: URL(fileURLWithPath: suiteOptions.corpora))
            _ = try await desk.importKnowledgeBase(kbData, fileName: kbFile)
            results.append(try await measure(desk, suite: name, kbFile: kbFile, queries: queries, variant: variant))
            if variant == "import", !calibration.isEmpty {
                _ = try await desk.matcher.calibrate(calibration)
                results.append(try await measure(desk, suite: name, kbFile: kbFile, queries: queries, variant: "labelled"))
            }
        }
        return results
    }

    private func measure(
        _ desk: CustomerServiceDesk, suite: String, kbFile: String, queries: [LabelledQuery], variant: String
    ) async throws -> SuiteFigures {
        var bands = Dictionary(uniqueKeysWithValues: MatchBand.allCases.map { ($0.rawValue, SuiteFigures.Band()) })
        var correct = 0
        var oosKeptOut = 0
        var latencies: [Double] = []
        _ = try await desk.matcher.match(queries.first?.query ?? "")  // builds the index outside the timings
        let clock = ContinuousClock()
        ProgressReporter.current?.expect(queries.count)
        for query in queries {
            defer { ProgressReporter.current?.advance() }
            let started = clock.now
            let match = try await desk.matcher.match(query.query)
            let elapsed = (clock.now - started).components
            latencies.append(Double(elapsed.seconds) * 1000 + Double(elapsed.attoseconds) / 1e15)
            let right = query.expected != nil && match.entry?.entry.topicName == query.expected
            if right { correct += 1 }
            if query.expected == nil, match.band == .low || match.band == .noMatch { oosKeptOut += 1 }
            bands[match.band.rawValue]!.count += 1
            if right { bands[match.band.rawValue]!.correct += 1 }
            if query.expected == nil { bands[match.band.rawValue]!.outOfScope += 1 }
        }
        let inScope = queries.filter { $0.expected != nil }.count
        let outOfScope = queries.count - inScope
        let calibration = try await desk.matcher.currentCalibration()
        var scoring = calibration.fusion.formula
        scoring += calibration.confidence == nil ? ", uncalibrated" : ", logistic confidence (\(calibration.source.rawValue))"
        scoring += String(format: "; high ≥ %.3f, mid ≥ %.3f", calibration.highThreshold, calibration.midThreshold)
        return SuiteFigures(
            suite: suite, variant: variant, knowledgeBase: kbFile, queries: queries.count, outOfScope: outOfScope,
            topAccuracy: inScope == 0 ? 0 : Double(correct) / Double(inScope), bands: bands,
            oosKeptOut: outOfScope == 0 ? nil : Double(oosKeptOut) / Double(outOfScope), calibration: scoring,
            latencyMs: LatencySummary(milliseconds: latencies))
    }

    static func markdown(_ figures: [SuiteFigures]) -> String {
        var lines = [
            "# Customer-service matching on the built-in suites", "",
            "Each suite's knowledge base imported through the server's importer; every query matched as a chat message",
            "(handoff rules aside). Embeddings: multilingual-e5-small, replayed. Precision = share of the band's queries",
            "whose matched topic is the expected one. `configured` is the original's formula with BM25_WEIGHT/EMBEDDING_WEIGHT",
            "and thresholds set (what every import got before self-calibration); `import` is what an import gets now (calibrated",
            "from the knowledge base's own phrasings when most topics have several, else the shipped default); `labelled` is",
            "after `vividcrowd-server calibrate-kb` on the suite's calibration split (disjoint from the queries). Latency: one",
            "match (cached embedding, ranking, confidence), one thread.", "",
            "Reproduce: `swift run -c release vividcrowd-bench customer-service`", "",
            "| suite | matcher | KB | queries (OOS) | top-1 accuracy % | high n (prec %) | mid n (prec %) | low n (prec %) | no match n | OOS kept out of high/mid % | match p50 / p99 ms | scoring |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for suite in figures {
            func band(_ band: MatchBand) -> String {
                let figures = suite.bands[band.rawValue] ?? .init()
                let precision = figures.count > 0 ? String(format: "%.1f", Double(figures.correct) / Double(figures.count) * 100) : "—"
                return "\(figures.count) (\(precision))"
            }
            lines.append(
                "| \(suite.suite) | \(suite.variant) | \(suite.knowledgeBase) | \(suite.queries) (\(suite.outOfScope)) | "
                    + String(format: "%.1f", suite.topAccuracy * 100) + " | \(band(.high)) | \(band(.mid)) | \(band(.low)) | "
                    + "\(suite.bands[MatchBand.noMatch.rawValue]?.count ?? 0) | "
                    + (suite.oosKeptOut.map { String(format: "%.1f", $0 * 100) } ?? "—") + " | "
                    + String(format: "%.3f / %.3f", suite.latencyMs.p50, suite.latencyMs.p99) + " | \(suite.calibration) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
