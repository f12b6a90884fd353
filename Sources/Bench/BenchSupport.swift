import ArgumentParser
import Foundation
import Histogram
import VividCrowdCore
import VividCrowdEvaluation

/// Latency percentiles in milliseconds, from an HdrHistogram.
struct LatencySummary: Codable {
    var p50: Double
    var p95: Double
    var p99: Double
    var mean: Double

    init(milliseconds values: [Double]) {
        var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
        for value in values { histogram.record(UInt64(max(0, value * 1_000_000))) }  // nanoseconds
        func percentile(_ p: Double) -> Double { Double(histogram.valueAtPercentile(p)) / 1_000_000 }
        p50 = percentile(50)
        p95 = percentile(95)
        p99 = percentile(99)
        mean = values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
    }
}

/// One method's figures as reports show them.
struct MethodReport: Codable {
    var method: String
    var fusion: String
    var recallAt1: Double
    var recallAt5: Double
    var mrr: Double
    var oosRecall: Double?
    var inScopeLoss: Double
    var oosRecallAt5PercentLoss: Double?
    var bands: [String: RetrievalQuality.Band]
    var latencyMs: LatencySummary
    var highThreshold: Double
    var midThreshold: Double
    var foldFits: FoldFits?

    enum CodingKeys: String, CodingKey {
        case method, fusion, mrr, bands
        case recallAt1 = "recall_at_1"
        case recallAt5 = "recall_at_5"
        case oosRecall = "oos_recall"
        case inScopeLoss = "in_scope_loss"
        case oosRecallAt5PercentLoss = "oos_recall_at_5pct_loss"
        case latencyMs = "latency_ms"
        case highThreshold = "high_threshold"
        case midThreshold = "mid_threshold"
        case foldFits = "fold_fits"
    }

    init(_ result: MethodResult) {
        method = result.method
        fusion = result.fusion.formula
        recallAt1 = result.quality.recallAt1
        recallAt5 = result.quality.recallAt5
        mrr = result.quality.mrr
        oosRecall = result.quality.oosRecall
        inScopeLoss = result.quality.inScopeLoss
        oosRecallAt5PercentLoss = result.quality.oosRecallAt5PercentLoss
        bands = result.quality.bands
        latencyMs = LatencySummary(milliseconds: result.latenciesMs)
        highThreshold = result.calibration.highThreshold
        midThreshold = result.calibration.midThreshold
        foldFits = result.foldFits
    }

    /// A Markdown table row.
    var row: String {
        func percent(_ value: Double?) -> String { value.map { String(format: "%.1f", $0 * 100) } ?? "—" }
        func band(_ name: MatchBand) -> String {
            let figures = bands[name.rawValue] ?? .init()
            return "\(figures.count) (\(percent(figures.count > 0 ? figures.precision : nil)))"
        }
        // Fold fits: mean (min–max) over the fits, rejection then loss.
        func spread(_ values: [Double]) -> String {
            guard let low = values.min(), let high = values.max() else { return "—" }
            let mean = values.reduce(0, +) / Double(values.count)
            return String(format: "%.1f (%.1f–%.1f)", mean * 100, low * 100, high * 100)
        }
        let folds = foldFits.map { fits in
            let rejected = fits.oosRejected.compactMap { $0 }
            return (rejected.isEmpty ? "—" : spread(rejected)) + " / " + spread(fits.inScopeLost)
        } ?? "—"
        let foldHighBands = foldFits.map { fits in
            let precisions = fits.highPrecision.compactMap { $0 }
            return spread(fits.highCoverage) + (precisions.isEmpty ? "" : " at " + spread(precisions))
        } ?? "—"
        return "| \(method) | \(percent(recallAt1)) | \(percent(recallAt5)) | \(String(format: "%.3f", mrr)) | "
            + "\(percent(oosRecall)) | \(percent(inScopeLoss)) | \(folds) | \(percent(oosRecallAt5PercentLoss)) | "
            + "\(band(.high)) | \(foldHighBands) | \(band(.mid)) | \(band(.low)) | "
            + String(format: "%.3f / %.3f", latencyMs.p50, latencyMs.p99) + " | \(fusion) |"
    }

    static let header = """
        | method | R@1 % | R@5 % | MRR | OOS rejected % | in-scope lost % | 5 fold fits: OOS rejected / in-scope lost %, mean (min–max) | OOS rejected at 5% loss (oracle) | high n (prec %) | 5 fold fits: high band % of queries at prec %, mean (min–max) | mid n (prec %) | low n (prec %) | latency p50 / p99 ms | scoring |
        |---|---|---|---|---|---|---|---|---|---|---|---|---|---|
        """
}

/// Writes JSON with sorted keys and a trailing newline.
func writeJSON<T: Encodable>(_ value: T, to path: String) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    try FileManager.default.createDirectory(
        at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
    var data = try encoder.encode(value)
    data.append(0x0A)
    try data.write(to: URL(fileURLWithPath: path))
}

/// Writes text, creating the directory.
func writeText(_ text: String, to path: String) throws {
    try FileManager.default.createDirectory(
        at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
    try text.write(toFile: path, atomically: true, encoding: .utf8)
}

/// Progress on stderr, so stdout stays the report.
func progress(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// The options every built-in-suite command shares.
struct SuiteOptions: ParsableArguments {
    @Option(help: "replay (offline, default), record, auto or live.")
    var llmMode: LLMMode = .replay

    @Option(help: "The embedding model the cassettes hold.")
    var embeddingModel = "multilingual-e5-small"

    @Option(help: "Directory holding jieba/ and suites/.")
    var corpora = "corpora"

    @Option(help: "Directory for the reports.")
    var reports = "reports"

    /// The configuration with this run's LLM mode and embedding model, logging set up.
    func settings() throws -> VividCrowdConfiguration {
        var settings = try VividCrowdConfiguration.load()
        settings.llm.mode = llmMode
        settings.llm.embeddingModel = embeddingModel
        LoggingSetup.bootstrap(settings)
        return settings
    }
}
