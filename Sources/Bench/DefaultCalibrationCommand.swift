import ArgumentParser
import Foundation
import VividCrowdCore
import VividCrowdEvaluation

/// Fits the calibration a knowledge base gets before any is fitted for it, on the dev suites' calibration splits.
struct DefaultCalibrationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "default-calibration",
        abstract: "Fit the shipped default calibration (fusion, confidence, bands) on the dev suites' calibration splits.",
        discussion: """
            The default serves knowledge bases with one phrasing per topic, which cannot calibrate themselves. The
            fusion is the one with the best mean recall@1 among those at or above the better of BM25 and dense on
            every suite in 1-shot and 10-shot form; the confidence model uses only features that do not depend on the
            embedding model's similarity range, so it carries over to other models. Only calibration splits are
            used; the report measures the result on the query splits. Prints the Swift literal of
            RetrievalCalibration.standard and writes reports/default-calibration.md.
            """)

    @Option(help: "Suites with a calibration split (comma-separated).")
    var suites = "banking77,clinc150,hwu64"

    @OptionGroup var suiteOptions: SuiteOptions

    private struct Form {
        var name: String
        var retriever: HybridIndex
        var calibration: [ScoredQuery]
        var queries: [PreparedQuery]
    }

    func run() async throws {
        let settings = try suiteOptions.settings()
        BLASThreads.set(1)
        let tokenizer = SearchTokenizer(segmenter: try JiebaSegmenter(directory: URL(fileURLWithPath: suiteOptions.corpora + "/jieba")))
        var forms: [Form] = []
        for suite in suites.split(separator: ",").map(String.init) {
            progress("suite \(suite)…")
            let client = try LLMClient.make(configuration: settings, cassetteName: "embeddings-\(suite)")
            do {
                forms += try await loadForms(suite, tokenizer: tokenizer, client: client)
                try await client.shutdown()
            } catch {
                try? await client.shutdown()
                throw error
            }
        }
        func recall(_ queries: [ScoredQuery], _ fusion: Fusion) -> Double {
            let hits = queries.filter { $0.expected != nil && $0.index.rank($0.scores, fusion: fusion, limit: 1).first?.group == $0.expected }
            return Double(hits.count) / Double(max(1, queries.filter { $0.expected != nil }.count))
        }
        var rows: [(fusion: Fusion, worstMargin: Double, recalls: [Double])] = []
        let parts = forms.map { max(recall($0.calibration, .bm25), recall($0.calibration, .dense)) }
        for temperature in [0] + RetrievalCalibration.poolingTemperatures {
            for step in 0...20 {
                let weight = Double(step) / 40
                let fusion = temperature == 0
                    ? Fusion.zScore(weight: weight) : .pooledZScore(weight: weight, temperature: temperature)
                let recalls = forms.map { recall($0.calibration, fusion) }
                rows.append((fusion, zip(recalls, parts).map { $0 - $1 }.min() ?? 0, recalls))
            }
        }
        // The best mean among fusions at or above the better single method on every form (the largest worst margin
        // when none is). Chasing the largest worst margin instead follows whichever form is hardest to the edge of
        // the weights, where another form's margin no longer holds on unseen questions.
        let bestWorst = rows.map(\.worstMargin).max() ?? 0
        let mean = { (recalls: [Double]) in recalls.reduce(0, +) / Double(max(1, recalls.count)) }
        let eligible = rows.filter { $0.worstMargin >= min(0, bestWorst) - 1e-9 }
        let chosen = eligible.max { mean($0.recalls) < mean($1.recalls) }!
        let pooled = forms.flatMap(\.calibration)
        // No scope model: the default serves knowledge bases of any kind, and its mid threshold is what turns away.
        var fitted = RetrievalCalibration.fit(
            scored: pooled, baseFusion: chosen.fusion, features: ConfidenceModel.scaleFreeFeatures,
            modelsScope: false, source: .default)
        // Mid: the loosest of the forms' mid thresholds, so no form of knowledge base loses more than 5% of its
        // questions to "please rephrase" (one pooled threshold lets 1-shot forms lose three times that).
        let formMids = forms.map { form -> Double in
            let probabilities = form.calibration.filter { $0.expected != nil }
                .map { fitted.confidence!.probability($0.index.rank($0.scores, fusion: fitted.fusion, limit: 5)) }
            return RetrievalCalibration.midThreshold(inScope: probabilities) ?? fitted.midThreshold
        }
        fitted.midThreshold = min(fitted.midThreshold, formMids.min() ?? fitted.midThreshold)

        var report = """
            # The default calibration

            Fitted on the calibration splits of \(suites) (1-shot and 10-shot forms, \(pooled.count) queries),
            embeddings `\(suiteOptions.embeddingModel)`, phrasings embedded as queries (as the product does).
            Reproduce: `swift run -c release vividcrowd-bench default-calibration`

            ## Fusion weight (recall@1 on the calibration splits)

            | fusion | worst margin over max(BM25, dense) | \(forms.map(\.name).joined(separator: " | ")) |
            |---|---|\(String(repeating: "---|", count: forms.count))
            | best single method | — | \(parts.map { String(format: "%.1f", $0 * 100) }.joined(separator: " | ")) |

            """
        for row in rows {
            report += "| \(row.fusion.formula) | " + String(format: "%+.1f | ", row.worstMargin * 100)
                + row.recalls.map { String(format: "%.1f", $0 * 100) }.joined(separator: " | ") + " |\n"
        }
        report += "\nChosen: \(fitted.fusion.formula); high \(String(format: "%.4f", fitted.highThreshold)), "
            + "mid \(String(format: "%.4f", fitted.midThreshold)).\n\n## On the query splits (not fitted on)\n\n"
            + "| form | BM25 R@1 | dense R@1 | default R@1 | in-scope lost % | OOS rejected % | high n (prec %) |\n|---|---|---|---|---|---|---|\n"
        for form in forms {
            let bm25 = try RetrievalEvaluator.evaluate(retriever: form.retriever, calibration: RetrievalCalibration(fusion: .bm25, confidence: nil, highThreshold: 1, midThreshold: 0), queries: form.queries).quality
            let dense = try RetrievalEvaluator.evaluate(retriever: form.retriever, calibration: RetrievalCalibration(fusion: .dense, confidence: nil, highThreshold: 1, midThreshold: 0), queries: form.queries).quality
            let ours = try RetrievalEvaluator.evaluate(retriever: form.retriever, calibration: fitted, queries: form.queries).quality
            let high = ours.bands[MatchBand.high.rawValue] ?? RetrievalQuality.Band()
            report += String(
                format: "| %@ | %.1f | %.1f | %.1f | %.1f | %@ | %d (%@) |\n", form.name, bm25.recallAt1 * 100,
                dense.recallAt1 * 100, ours.recallAt1 * 100, ours.inScopeLoss * 100,
                ours.oosRecall.map { String(format: "%.1f", $0 * 100) } ?? "—", high.count,
                high.precision.map { String(format: "%.1f", $0 * 100) } ?? "—")
        }
        try writeText(report, to: suiteOptions.reports + "/default-calibration.md")
        print(report)
        print("\n// RetrievalCalibration.standard, as fitted:")
        print(Self.literal(fitted))
    }

    private func loadForms(_ suite: String, tokenizer: SearchTokenizer, client: LLMClient) async throws -> [Form] {
        let folder = "\(suiteOptions.corpora)/suites/\(suite)"
        func read(_ file: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: "\(folder)/\(file)")) }
        let full = try KnowledgeBaseCSV.parse(try read("kb-10shot.csv")).entries
        let queries = try LabelledQuery.load(jsonLines: try read("queries.jsonl"), source: suite)
        let calibration = try LabelledQuery.load(jsonLines: try read("calibration.jsonl"), source: suite)
        var seenTopics = Set<String>()
        let oneShot = full.filter { seenTopics.insert($0.topicName).inserted }
        let vectors = try await RetrievalBenchmark(tokenizer: tokenizer, client: client).embedForBothPrefixes(
            phrasings: KnowledgeEntry.phrasings(of: full), queries: queries.map(\.query) + calibration.map(\.query))[.symmetric]!
        func prepare(_ labelled: [LabelledQuery]) throws -> [PreparedQuery] {
            try labelled.map {
                guard let vector = vectors.queries[$0.query] else { throw MissingVector(text: $0.query) }
                return PreparedQuery(text: $0.query, terms: tokenizer.terms($0.query), vector: vector, expected: $0.expected)
            }
        }
        let preparedCalibration = try prepare(calibration)
        let preparedQueries = try prepare(queries)
        return try [("1-shot", oneShot), ("10-shot", full)].map { formName, entries in
            let phrasings = KnowledgeEntry.phrasings(of: entries)
            let retriever = try HybridIndex(
                knowledgeBase: entries,
                vectors: try phrasings.map {
                    guard let vector = vectors.phrasings[$0] else { throw MissingVector(text: $0) }
                    return vector
                }, tokenizer: tokenizer)
            let scored = try preparedCalibration.map {
                ScoredQuery(
                    index: retriever, scores: try retriever.scores(terms: $0.terms, vector: $0.vector),
                    expected: $0.expected)
            }
            return Form(name: "\(suite) \(formName)", retriever: retriever, calibration: scored, queries: preparedQueries)
        }
    }

    /// The Swift source of a calibration, to paste into `RetrievalCalibration.standard`.
    static func literal(_ calibration: RetrievalCalibration) -> String {
        func list(_ values: [Double]) -> String { "[" + values.map { String(format: "%.6g", $0) }.joined(separator: ", ") + "]" }
        let fusion: String
        switch calibration.fusion {
        case .zScore(let weight): fusion = ".zScore(weight: \(weight))"
        case .pooledZScore(let weight, let temperature): fusion = ".pooledZScore(weight: \(weight), temperature: \(temperature))"
        default: return "// not a z-score fusion: \(calibration.fusion.formula)"
        }
        guard let model = calibration.confidence else { return "// no confidence model" }
        return """
            fusion: \(fusion),
            confidence: ConfidenceModel(
                means: \(list(model.means)),
                scales: \(list(model.scales)),
                weights: \(list(model.weights))),
            highThreshold: \(String(format: "%.4f", calibration.highThreshold)), midThreshold: \(String(format: "%.4f", calibration.midThreshold)),
            calibrationQueries: \(calibration.calibrationQueries)
            """
    }
}
