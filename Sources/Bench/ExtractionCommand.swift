import ArgumentParser
import Foundation
import VividCrowdCore
import VividCrowdDocuments

/// PDF text extraction against exact ground truth: character accuracy per document and page, and pages per second.
struct ExtractionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extraction",
        abstract: "PDF text fidelity against ground truth (whitespace-insensitive) and extraction speed.",
        discussion: """
            Every <name>.pdf in each --pdf folder is read through MuPDF and compared with its ground truth: \
            <name>.pages.txt (page texts separated by form feeds, compared page by page) or <name>.txt (the whole \
            text). Accuracy: characters of the longest common subsequence over the longer text, whitespace and \
            zero-width characters ignored, "⋯" read as "…" (TextFidelity). Speed: pages per second, the median of \
            --runs reads, one thread. Writes reports/extraction.{md,json}.
            """)

    @Option(help: "A folder of PDFs with ground truth (repeatable).")
    var pdf: [String] = ["corpora/twins"]

    @Option(help: "Reads per document for the speed figure.")
    var runs = 5

    @Option(help: "Directory for the reports.")
    var reports = "reports"

    struct DocumentFigures: Codable {
        var document: String
        var pages: Int
        var accuracy: Double
        /// The worst page, when the ground truth is per page.
        var worstPageAccuracy: Double?
        var worstPage: Int?
        var pagesPerSecond: Double
    }

    func run() async throws {
        let reader = MuPDFTextReader()
        var figures: [DocumentFigures] = []
        for folder in pdf {
            let url = URL(fileURLWithPath: folder)
            let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".pdf") }.sorted()
            for name in names {
                let stem = String(name.dropLast(4))
                let data = try Data(contentsOf: url.appendingPathComponent(name))
                let pagesTruth = url.appendingPathComponent(stem + ".pages.txt")
                let wholeTruth = url.appendingPathComponent(stem + ".txt")
                guard FileManager.default.fileExists(atPath: pagesTruth.path) || FileManager.default.fileExists(atPath: wholeTruth.path) else {
                    progress("\(name): no \(stem).pages.txt or \(stem).txt beside it, skipped")
                    continue
                }
                var seconds: [Double] = []
                var pages: [String] = []
                for _ in 0..<max(1, runs) {
                    let started = ContinuousClock.now
                    pages = try reader.pages(of: data, limits: DocumentLimits(maximumBytes: .max, maximumPages: .max))
                    seconds.append((ContinuousClock.now - started).seconds)
                }
                let median = seconds.sorted()[seconds.count / 2]
                var row = DocumentFigures(
                    document: "\(url.lastPathComponent)/\(stem)", pages: pages.count, accuracy: 0, worstPageAccuracy: nil,
                    worstPage: nil, pagesPerSecond: Double(pages.count) / max(median, 1e-9))
                if FileManager.default.fileExists(atPath: pagesTruth.path) {
                    let truth = try String(contentsOf: pagesTruth, encoding: .utf8).split(separator: "\u{0C}", omittingEmptySubsequences: false).map(String.init)
                    row.accuracy = TextFidelity.accuracy(extracted: pages.joined(separator: "\n"), truth: truth.joined(separator: "\n"))
                    var worst = (page: 0, accuracy: 2.0)
                    for index in 0..<max(truth.count, pages.count) {
                        let accuracy = TextFidelity.accuracy(
                            extracted: index < pages.count ? pages[index] : "", truth: index < truth.count ? truth[index] : "")
                        if accuracy < worst.accuracy { worst = (index + 1, accuracy) }
                    }
                    (row.worstPage, row.worstPageAccuracy) = (worst.page, worst.accuracy)
                } else {
                    let truth = try String(contentsOf: wholeTruth, encoding: .utf8)
                    row.accuracy = TextFidelity.accuracy(extracted: pages.joined(separator: "\n"), truth: truth)
                }
                progress("\(row.document): \(row.pages) pages, accuracy \(row.accuracy)")
                figures.append(row)
            }
        }
        guard !figures.isEmpty else { throw CommandFailure("no PDF with ground truth in \(pdf.joined(separator: ", "))") }
        let markdown = Self.markdown(figures, folders: pdf, runs: runs)
        try writeText(markdown, to: reports + "/extraction.md")
        try writeJSON(figures, to: reports + "/extraction.json")
        print(markdown)
    }

    static var buildKind: String {
        #if DEBUG
        return "debug"
        #else
        return "release"
        #endif
    }

    static func markdown(_ figures: [DocumentFigures], folders: [String], runs: Int) -> String {
        var lines = [
            "# PDF text extraction against ground truth", "",
            "MuPDF (Debian libmupdf-dev) through `MuPDFTextReader`; accuracy whitespace-insensitive (`TextFidelity`); pages/s the median of \(runs) reads, one thread, a \(buildKind) build.",
            "", "| document | pages | accuracy % | worst page (accuracy %) | pages/s |", "|---|---|---|---|---|",
        ]
        for row in figures {
            let worst = row.worstPage.flatMap { row.worstPageAccuracy ?? 1 < 1 ? $0 : nil }.map { "\($0) (" + String(format: "%.2f", (row.worstPageAccuracy ?? 0) * 100) + ")" } ?? "—"
            lines.append("| \(row.document) | \(row.pages) | " + String(format: "%.2f", row.accuracy * 100) + " | \(worst) | "
                + String(format: "%.0f", row.pagesPerSecond) + " |")
        }
        let total = figures.reduce(0) { $0 + $1.pages }
        lines += ["", "\(figures.count) documents, \(total) pages.", "",
                  "Reproduce: `swift run -c release vividcrowd-bench extraction " + folders.map { "--pdf \($0)" }.joined(separator: " ") + "`", ""]
        return lines.joined(separator: "\n")
    }
}
