import ArgumentParser
import Foundation
import VividCrowdCore

/// Segmentation throughput and agreement with Python jieba.
struct SegmentationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "segmentation",
        abstract: "jieba-compatible segmentation: throughput (chars/s, one thread) and agreement with Python jieba.",
        discussion: "Reads corpora/seed/qa.csv and corpora/twins/*.txt; writes reports/segmentation.{md,json}.")

    @Option(help: "Directory holding jieba/, seed/ and twins/.")
    var corpora = "corpora"

    @Option(help: "Reference tokenisations from Python jieba (Tests/Fixtures/jieba).")
    var fixtures = "Tests/Fixtures/jieba"

    @Option(help: "Passes over the texts for the throughput figure.")
    var passes = 20

    @Option(help: "Directory for the reports.")
    var reports = "reports"

    struct Reference: Decodable {
        let text: String
        let tokens: [String]
    }

    struct Report: Codable {
        var characters: Int
        var passes: Int
        var charactersPerSecond: Double
        var tokenAgreement: Double
        var identicalTexts: Int
        var texts: Int
        var dictionaryLoadSeconds: Double

        enum CodingKeys: String, CodingKey {
            case characters, passes, texts
            case charactersPerSecond = "chars_per_second"
            case tokenAgreement = "token_agreement"
            case identicalTexts = "identical_texts"
            case dictionaryLoadSeconds = "dictionary_load_seconds"
        }
    }

    func run() async throws {
        let loadClock = ContinuousClock.now
        let segmenter = try JiebaSegmenter(directory: URL(fileURLWithPath: corpora + "/jieba"))
        let loadSeconds = (ContinuousClock.now - loadClock).seconds
        var references: [Reference] = []
        for name in ["qa", "twins"] {
            let data = try Data(contentsOf: URL(fileURLWithPath: "\(fixtures)/\(name).json"))
            references += try JSONDecoder().decode([Reference].self, from: data)
        }
        var matched = 0
        var total = 0
        var identical = 0
        for reference in references {
            let ours = segmenter.cut(reference.text)
            if ours == reference.tokens { identical += 1 }
            matched += Set(spans(ours)).intersection(spans(reference.tokens)).count
            total += reference.tokens.count
        }
        let scalarTexts = references.map { $0.text.unicodeScalars.map(\.value) }
        let characters = scalarTexts.reduce(0) { $0 + $1.count }
        var tokenCount = 0
        let started = ContinuousClock.now
        for _ in 0..<passes {
            for reference in references { tokenCount &+= segmenter.cut(reference.text).count }
        }
        let seconds = (ContinuousClock.now - started).seconds
        let rangesStarted = ContinuousClock.now
        for _ in 0..<passes {
            for text in scalarTexts { tokenCount &+= segmenter.cutRanges(text).count }
        }
        let rangesSeconds = (ContinuousClock.now - rangesStarted).seconds
        let report = Report(
            characters: characters, passes: passes, charactersPerSecond: Double(characters * passes) / seconds,
            tokenAgreement: Double(matched) / Double(max(total, 1)), identicalTexts: identical, texts: references.count,
            dictionaryLoadSeconds: loadSeconds)
        let markdown = """
            # Segmentation

            Texts: qa.csv questions and scripts plus the three twins texts (\(references.count) texts, \(characters) characters).

            | measure | value |
            |---|---|
            | token agreement with Python jieba 0.42.1 | \(String(format: "%.3f", report.tokenAgreement * 100)) % |
            | texts segmented identically | \(identical) / \(references.count) |
            | throughput, String in → [String] out (one thread) | \(String(format: "%.0f", report.charactersPerSecond)) chars/s |
            | throughput, scalars in → token ranges out | \(String(format: "%.0f", Double(characters * passes) / rangesSeconds)) chars/s |
            | dictionary load | \(String(format: "%.2f", loadSeconds)) s |

            Python jieba's default mode on the same texts: see `reports/peers.md` (scripts/peers/run_peers.sh).
            Reproduce: `swift run -c release vividcrowd-bench segmentation`
            """
        try writeText(markdown + "\n", to: reports + "/segmentation.md")
        try writeJSON(report, to: reports + "/segmentation.json")
        print(markdown)
        if tokenCount == 0 { print("(no tokens)") }
    }

    private func spans(_ tokens: [String]) -> [Range<Int>] {
        var position = 0
        return tokens.map { token in
            defer { position += token.unicodeScalars.count }
            return position..<position + token.unicodeScalars.count
        }
    }
}
