import Foundation
import Testing
import VividCrowdCore
@testable import VividCrowdEvaluation
import VividCrowdTesting

@Suite("Fold fits")
struct FoldFitsTests {
    @Test("each fold's fit is measured for its high band too: its share of the queries and its precision (nil: empty)")
    func highBandSpread() throws {
        let tokenizer = SearchTokenizer(segmenter: sharedSegmenter)
        let phrasings = ["how do I get a refund", "when will my parcel ship", "reset my password"]
        let entries = zip(["refund", "shipping", "password"], phrasings).enumerated().map { line, pair in
            KnowledgeEntry(
                line: line + 2, questionCount: 1, topicName: pair.0, phrasings: [pair.1], standardScript: "s",
                riskNotes: "")
        }
        let retriever = try HybridIndex(
            units: KnowledgeEntry.retrievalUnits(of: entries), unitTerms: phrasings.map(tokenizer.terms),
            unitVectors: [[1, 0.1, 0], [0, 1, 0.1], [0, 0.1, 1]])
        func prepared(_ text: String, _ vector: [Float], _ expected: String?) -> PreparedQuery {
            PreparedQuery(text: text, terms: tokenizer.terms(text), vector: vector, expected: expected)
        }
        // Both confident queries rank high under a 0.9 threshold, one of them wrongly; the vague one never does.
        let measured = [
            prepared("refund", [1, 0, 0], "refund"), prepared("password", [0, 0, 1], "shipping"),
            prepared("weather", [0.5, 0.5, 0.5], nil), prepared("football", [0.4, 0.6, 0.5], nil),
        ]
        let fitData = try (0..<5).map { index in
            ScoredQuery(
                index: retriever, scores: try retriever.scores(terms: ["q\(index)"], vector: [1, 0, 0]),
                expected: index == 0 ? "marker" : "refund")
        }
        // The fit that misses the marked query (fold 0's) puts nothing in the high band.
        let fits = try #require(
            try FoldFits.measure(fitData, measured: measured, retriever: retriever) { subset in
                let high = subset.contains { $0.expected == "marker" } ? 0.9 : 2
                return RetrievalCalibration(fusion: .dense, confidence: nil, highThreshold: high, midThreshold: 0.1)
            })
        #expect(fits.highCoverage == [0, 0.5, 0.5, 0.5, 0.5])
        #expect(fits.highPrecision == [nil, 0.5, 0.5, 0.5, 0.5])
        #expect(fits.inScopeLost.count == 5)
    }
}
