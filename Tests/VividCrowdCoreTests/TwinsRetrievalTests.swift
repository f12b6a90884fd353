import Foundation
import Testing
import VividCrowdCore
import VividCrowdEvaluation
import VividCrowdTesting

/// A small suite folder in the twins-qa format, written to a temporary directory.
private func writeSuite(documents: [String: [String]], queries: [[String: Any]]) throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("twins-suite-\(UUID().uuidString)/tiny")
    try FileManager.default.createDirectory(at: folder.appendingPathComponent("docs"), withIntermediateDirectories: true)
    var docLines: [String] = []
    for (name, paragraphs) in documents.sorted(by: { $0.key < $1.key }) {
        let line: [String: Any] = ["doc": name, "title": name, "lang": "en", "paragraphs": paragraphs]
        docLines.append(String(data: try JSONSerialization.data(withJSONObject: line), encoding: .utf8)!)
        try (paragraphs.joined(separator: "\n\n") + "\n").write(
            to: folder.appendingPathComponent("docs/\(name).txt"), atomically: true, encoding: .utf8)
    }
    try docLines.joined(separator: "\n").write(to: folder.appendingPathComponent("docs.jsonl"), atomically: true, encoding: .utf8)
    let queryLines = try queries.map { String(data: try JSONSerialization.data(withJSONObject: $0), encoding: .utf8)! }
    try queryLines.joined(separator: "\n").write(to: folder.appendingPathComponent("queries.jsonl"), atomically: true, encoding: .utf8)
    return folder
}

private let tokenizer = SearchTokenizer(segmenter: sharedSegmenter)

@Suite struct TwinsRetrievalTests {
    @Test func bigramsAreAddedOnlyWhenAskedAndStayWithinAPhrase() {
        let plain = tokenizer.terms("臺灣島的地形")
        let passages = tokenizer.addingBigrams().terms("臺灣島的地形")
        #expect(!plain.contains { $0.hasPrefix("#") })
        #expect(passages.contains("#臺灣") && passages.contains("#島的") && passages.contains("#地形"))
        #expect(Array(passages.prefix(plain.count)) == plain)
        let words = tokenizer.addingBigrams().terms("The leading cause of death, in children")
        #expect(words == ["lead", "caus", "#lead caus", "death", "#caus death", "children"])
        #expect(tokenizer.terms("The leading cause of death, in children") == ["lead", "caus", "death", "children"])
    }

    @Test func traditionalChineseFoldsToSimplifiedWhenAsked() throws {
        let folding = try ChineseScriptFolding(directory: repositoryRoot.appendingPathComponent("corpora/opencc"))
        let folded = tokenizer.folding(folding).addingBigrams()
        #expect(folded.terms("項籍是哪裡人") == folded.terms("项籍是哪里人"))
        #expect(folded.terms("項籍").contains("#项籍"))
        #expect(tokenizer.addingBigrams().terms("項籍") != tokenizer.addingBigrams().terms("项籍"))
        #expect(folded.terms("aspirin 阿司匹林") == tokenizer.addingBigrams().terms("aspirin 阿司匹林"))
        #expect(folding.fold(0x9EBC) == 0x4E48)  // 麼 → 么, the first of its two simplified forms
    }

    @Test func aSimplifiedQuestionIsEmbeddedInItsTraditionalDocumentsScript() throws {
        let folding = try ChineseScriptFolding(directory: repositoryRoot.appendingPathComponent("corpora/opencc"))
        let traditional = "項籍者，下相人也，字羽。其季父項梁，梁父即楚將項燕。項梁發兵，項籍發憤，頭髮上指。"
        let script = try #require(DocumentScript(texts: [traditional], folding: folding))
        // 发 stands for 發 (twice in the document) and 髮 (once): the document's more frequent form wins.
        #expect(script.converted("项梁为何发兵？") == "項梁为何發兵？")
        #expect(script.converted("项梁為何發兵？") == "项梁為何發兵？")  // already holds traditional characters
        #expect(script.converted("Who was Xiang Yu?") == "Who was Xiang Yu?")
        #expect(folding.folded(script.converted("项羽的季父是谁")) == folding.folded("项羽的季父是谁"))
        #expect(DocumentScript(texts: [folding.folded(traditional)], folding: folding) == nil)
        #expect(DocumentScript(texts: ["Aspirin, 1897."], folding: folding) == nil)

        let chunks = DocumentChunker().chunks(of: DocumentText(format: .text, pages: [traditional]))
        let terms = chunks.map { PassageIndex.terms(of: $0, tokenizer: tokenizer) }
        let converting = try PassageIndex(chunks: chunks, terms: terms, vectors: [], scriptFolding: folding)
        #expect(converting.questionForEmbedding("项燕是谁？") == "項燕是谁？")
        #expect(try PassageIndex(chunks: chunks, terms: terms, vectors: []).questionForEmbedding("项燕是谁？") == "项燕是谁？")
    }

    @Test func passageIndexRanksTheChunkHoldingTheWords() throws {
        let text = DocumentText(format: .text, pages: [
            "Aspirin was first synthesised by Felix Hoffmann at Bayer in 1897.\n\n"
                + "Low doses of aspirin reduce the risk of heart attacks in some patients.\n\n"
                + "Reye's syndrome is a rare but serious illness in children given aspirin.\n",
        ])
        let chunks = DocumentChunker(target: 20, maximum: 40).chunks(of: text)
        #expect(chunks.count == 3)
        let index = try PassageIndex(chunks: chunks, terms: chunks.map { tokenizer.terms($0.text) }, vectors: [])
        let ranking = try index.search(terms: tokenizer.terms("Who synthesised it at Bayer?"), vector: [], fusion: .zScore(weight: 0.5))
        #expect(ranking.chunks.first?.index == 0)
        #expect(ranking.candidates.first?.group == PassageIndex.group(of: 0))
        let children = try index.search(terms: tokenizer.terms("syndrome in children"), vector: [], fusion: .bm25, limit: 1)
        #expect(children.chunks.map(\.index) == [2])
        #expect(children.chunks[0].pages == 1...1)
    }

    @Test func aChunkIsNotRankedByTheOverlapItCarries() throws {
        let text = DocumentText(format: .text, pages: [
            "Aspirin comes from willow bark chemistry. Hoffmann synthesised it in 1897.\n\n"
                + "Low doses reduce heart attacks.\n",
        ])
        let chunks = DocumentChunker(target: 20, maximum: 80).chunks(of: text)
        #expect(chunks.count == 2)
        #expect(chunks[1].overlap > 0 && chunks[1].text.contains("Hoffmann"))
        #expect(!chunks[1].ownText.contains("Hoffmann") && chunks[1].ownText.hasPrefix("Low doses"))
        let index = try PassageIndex(
            chunks: chunks, terms: chunks.map { PassageIndex.terms(of: $0, tokenizer: tokenizer) }, vectors: [])
        let ranking = try index.search(terms: tokenizer.terms("When did Hoffmann synthesise it?"), vector: [], fusion: .bm25, limit: 2)
        #expect(ranking.chunks.first?.index == 0)
        #expect(ranking.candidates.dropFirst().allSatisfy { $0.bm25Normalised == 0 })
    }

    @Test func misalignedVectorsAreAnError() throws {
        let chunks = DocumentChunker().chunks(of: DocumentText(format: .text, pages: ["One paragraph.\n\nAnother one.\n"]))
        #expect(throws: RetrievalError.self) {
            try PassageIndex(chunks: chunks, terms: chunks.map { tokenizer.terms($0.text) }, vectors: [[1, 0], [0, 1]])
        }
    }

    @Test func theLexicalGateRefusesQuestionsWithoutSharedWords() throws {
        let chunks = DocumentChunker().chunks(of: DocumentText(format: .text, pages: [
            "The Victoria and Albert Museum in London holds decorative arts.\n\nIts collection spans 5,000 years.\n",
        ]))
        let index = try PassageIndex(chunks: chunks, terms: chunks.map { tokenizer.terms($0.text) }, vectors: [])
        let gate = EvidenceGate.lexical()
        let covered = try index.search(terms: tokenizer.terms("What does the Victoria and Albert Museum hold?"), vector: [], fusion: gate.fusion)
        let uncovered = try index.search(terms: tokenizer.terms("Which enzyme does ibuprofen inhibit?"), vector: [], fusion: gate.fusion)
        #expect(gate.covers(covered.candidates))
        #expect(!gate.covers(uncovered.candidates))
        #expect(gate.evidence([]) == 0)
    }

    @Test func aGateFittedForAnotherEmbeddingModelFallsBackToTheLexicalDefault() {
        let model = ConfidenceModel(means: [0, 0, 0, 0, 0, 0, 0], scales: [1, 1, 1, 1, 1, 1, 1], weights: [0, 1, 0, 0, 0, 0, 0, 0])
        let fitted = EvidenceGate(fusion: .zScore(weight: 0.3), model: model, threshold: 0.4, embeddingModel: "e5", calibrationQueries: 10)
        #expect(fitted.applicable(to: "e5") == fitted)
        #expect(fitted.applicable(to: "text-embedding-v2") == .lexical())
    }

    @Test func rocAUCAndQuantiles() {
        #expect(RankStatistics.rocAUC(positives: [0.9, 0.8], negatives: [0.1, 0.2]) == 1)
        #expect(RankStatistics.rocAUC(positives: [0.1], negatives: [0.9]) == 0)
        #expect(RankStatistics.rocAUC(positives: [0.5, 0.5], negatives: [0.5]) == 0.5)
        #expect(RankStatistics.rocAUC(positives: [0.3, 0.7], negatives: [0.5]) == 0.5)
        #expect(RankStatistics.rocAUC(positives: [], negatives: [0.5]) == nil)
        let values = (1...100).map(Double.init)
        #expect(RankStatistics.quantile(values, 0.5) == 50)
        #expect(RankStatistics.quantile(values, 0.99) == 99)
        #expect(RankStatistics.quantile([], 0.5) == 0)
    }

    @Test func theAnswerMustSitWhereTheSuiteSaysNotJustAnywhere() {
        // "1897" is printed twice; only the chunk at the answer's offset holds this answer.
        let chunkA = DocumentChunk(index: 0, text: "Founded in 1897 in Berlin.", pages: 1...1, characters: 0..<26, overlap: 0)
        let chunkB = DocumentChunk(index: 1, text: "Aspirin came in 1897.", pages: 1...1, characters: 28..<49, overlap: 0)
        let query = TwinsQuery(
            qid: "q", doc: "d", query: "When did aspirin come?", answer: "1897", answers: ["1897"], docCharStart: 44,
            type: .answerable, answerPages: nil)
        #expect(!TwinsBenchmark.holdsAnswer(chunkA, query: query, source: .text))
        #expect(TwinsBenchmark.holdsAnswer(chunkB, query: query, source: .text))
        // PDF suites carry no offsets: the text decides, whitespace-insensitive.
        let spaced = TwinsQuery(
            qid: "q", doc: "d", query: "?", answer: "Berlin", answers: ["Ber lin"], docCharStart: nil, type: .answerable, answerPages: [1])
        #expect(TwinsBenchmark.holdsAnswer(chunkA, query: spaced, source: .pdf))
        #expect(!TwinsBenchmark.holdsAnswer(chunkB, query: spaced, source: .pdf))
    }

    @Test func aSuiteIsRankedRefusedAndReported() async throws {
        let paragraphs = [
            "Aspirin was first synthesised by Felix Hoffmann at Bayer in 1897.",
            "Low doses of aspirin reduce the risk of heart attacks in some patients.",
        ]
        let other = ["The Great Wall of China was built over many centuries by several dynasties."]
        let secondStart = paragraphs[0].unicodeScalars.count + 2
        let folder = try writeSuite(documents: ["aspirin": paragraphs, "wall": other], queries: [
            ["qid": "1", "doc": "aspirin", "query": "Who synthesised aspirin at Bayer?", "answer": "Felix Hoffmann",
             "answers": ["Felix Hoffmann"], "doc_char_start": 33, "type": "answerable"],
            ["qid": "2", "doc": "aspirin", "query": "What do low doses of aspirin reduce?", "answer": "the risk of heart attacks",
             "answers": ["the risk of heart attacks"], "doc_char_start": secondStart + 27, "type": "answerable"],
            ["qid": "3", "doc": "aspirin", "query": "Which dynasties built the Great Wall?", "answer": NSNull(), "answers": [],
             "type": "no_evidence_other_doc"],
            ["qid": "4", "doc": "missing", "query": "ignored", "type": "no_evidence_other_doc"],
        ])
        let suite = try TwinsSuite.load(folder, source: .text)
        #expect(suite.documents == ["aspirin", "wall"])
        #expect(suite.queries.count == 3)
        #expect(try TwinsSuite.folders(at: folder.deletingLastPathComponent().path, pdf: false).map(\.lastPathComponent) == ["tiny"])
        let benchmark = TwinsBenchmark(tokenizer: tokenizer, chunker: DocumentChunker(target: 20, maximum: 80))
        let prepared = try await benchmark.prepare(suite, embed: nil)
        #expect(prepared.indexes["aspirin"]?.chunks.count == 2)
        let report = try benchmark.evaluate(prepared, gates: .lexical, method: "bm25")
        #expect(report.answerable == 2 && report.noEvidenceOtherDocument == 1)
        #expect(report.recallAt1 == 1 && report.mrr == 1)
        #expect(report.otherDocumentRefused == 1 && report.answerableRefused == 0)
        #expect(report.otherDocumentAUC == 1)
        #expect(report.pageAccuracy == nil && report.pagesPerSecond == nil)
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(report)) as! [String: Any]
        for key in ["recall_at_1", "recall_at_3", "recall_at_5", "mrr", "mean_chunk_chars", "no_evidence_refused",
                    "answerable_refused", "no_evidence_auc", "page_accuracy", "pages_per_second"] {
            #expect(json.keys.contains(key), "missing \(key)")
        }
    }

    @Test func aCitationNamesThePageItsSentenceIsPrintedOn() async throws {
        // One chunk spans three pages: the top chunk's page span always holds the answer's page, the citation's page
        // only when the quoted sentence is on it. The third question's answer_pages is deliberately wrong.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("twins-pdf-\(UUID().uuidString)/pdf")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data("%PDF-1.4 stand-in\n%%EOF\n".utf8).write(to: folder.appendingPathComponent("aspirin.pdf"))
        let queries: [[String: Any]] = [
            ["qid": "1", "doc": "aspirin", "query": "Who synthesised aspirin at Bayer?", "answer": "Felix Hoffmann",
             "answers": ["Felix Hoffmann"], "type": "answerable", "answer_pages": [1]],
            ["qid": "2", "doc": "aspirin", "query": "What do low doses of aspirin reduce?", "answer": "the risk of heart attacks",
             "answers": ["the risk of heart attacks"], "type": "answerable", "answer_pages": [2]],
            ["qid": "3", "doc": "aspirin", "query": "Which rare illness strikes children given aspirin?", "answer": "Reye's syndrome",
             "answers": ["Reye's syndrome"], "type": "answerable", "answer_pages": [2]],
        ]
        try queries.map { String(data: try JSONSerialization.data(withJSONObject: $0), encoding: .utf8)! }.joined(separator: "\n")
            .write(to: folder.appendingPathComponent("queries.jsonl"), atomically: true, encoding: .utf8)
        let pages = [
            "Aspirin was first synthesised by Felix Hoffmann at Bayer in 1897.",
            "Low doses of aspirin reduce the risk of heart attacks in some patients.",
            "Reye's syndrome is a rare but serious illness in children given aspirin.",
        ]
        let benchmark = TwinsBenchmark(
            tokenizer: tokenizer, chunker: DocumentChunker(target: 400, maximum: 700),
            reader: DocumentReader(pdf: FixedPages(pages: pages)), ingestionRuns: 1)
        let prepared = try await benchmark.prepare(try TwinsSuite.load(folder, source: .pdf), embed: nil)
        #expect(prepared.indexes["aspirin"]?.chunks.map(\.pages) == [1...3])
        let report = try benchmark.evaluate(prepared, gates: .lexical, method: "bm25")
        #expect(report.pageAccuracy == 1)
        #expect(report.citedPageAccuracy == 2.0 / 3.0)
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(report)) as! [String: Any]
        #expect(json["cited_page_accuracy"] as? Double == 2.0 / 3.0)
    }

    @Test func aFolderWithoutSuitesIsAClearError() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("no-suite-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        #expect(throws: TwinsSuiteError.self) { try TwinsSuite.folders(at: empty.path, pdf: false) }
    }

    @Test func calibrationSplitsDocumentsStablyAndFitsAThreshold() async throws {
        let names = (0..<40).map { "doc-\($0)" }
        let calibration = names.filter(EvidenceCalibration.isCalibrationDocument)
        #expect(calibration.count > 5 && calibration.count < 35)
        #expect(names.filter(EvidenceCalibration.isCalibrationDocument) == calibration)

        var documents: [String: [String]] = [:]
        var queries: [[String: Any]] = []
        let topics = ["aspirin tablets", "granite mountains", "violin concertos", "coral reefs", "steam engines", "tea gardens"]
        for (number, topic) in topics.enumerated() {
            let name = "doc-\(number)"
            documents[name] = ["This paragraph is about \(topic) and their history.", "More on \(topic): origins and uses."]
            queries.append(["qid": "a\(number)", "doc": name, "query": "What about \(topic)?", "answer": topic,
                            "answers": [topic], "doc_char_start": 24, "type": "answerable"])
            let otherTopic = topics[(number + 3) % topics.count]
            queries.append(["qid": "n\(number)", "doc": name, "query": "Tell me of \(otherTopic).", "answers": [],
                            "type": "no_evidence_other_doc"])
        }
        let suite = try TwinsSuite.load(try writeSuite(documents: documents, queries: queries), source: .text)
        let benchmark = TwinsBenchmark(tokenizer: tokenizer)
        let prepared = try await benchmark.prepare(suite, embed: nil)
        let gate = try EvidenceCalibration.fit([prepared], benchmark: benchmark, embeddingModel: "none", answerableRefusal: 0)
        #expect(gate.model != nil && gate.calibrationQueries == 12)
        let report = try benchmark.evaluate(prepared, gates: EvidenceGates(fallback: gate), method: "bm25")
        #expect(report.answerableRefused == 0)
        #expect(report.otherDocumentRefused == 1)
        let half = EvidenceCalibration.half(prepared, calibration: true)
        #expect(half.suite.queries.allSatisfy { EvidenceCalibration.isCalibrationDocument($0.doc) })
        #expect(half.queryTerms.count == half.suite.queries.count)
    }
}

@Suite struct JSONLinesDecodeTests {
    struct Row: Decodable { var a: Int }

    @Test func aBadLineIsNamedByNumber() throws {
        let rows = try JSONLines.decode(Row.self, from: Data("{\"a\": 1}\n\n{\"a\": 2}\n".utf8))
        #expect(rows.map(\.a) == [1, 2])
        do {
            _ = try JSONLines.decode(Row.self, from: Data("{\"a\": 1}\n{\"a\": \"x\"}\n".utf8))
            Issue.record("a bad line decoded")
        } catch let error as JSONLinesError {
            #expect(error.line == 2)
        }
        #expect(throws: JSONLinesError.self) { try JSONLines.decode(Row.self, from: Data([0xFF, 0xFE, 0x00])) }
    }
}

/// A PDF reader that returns the same pages for any bytes.
private struct FixedPages: PDFTextReader {
    var pages: [String]
    func pages(of data: Data, limits: DocumentLimits) throws -> [String] { pages }
}
