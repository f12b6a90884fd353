import Foundation
import Testing
@testable import VividCrowdCore
import VividCrowdDocuments
import VividCrowdTesting

@Suite("Chunking documents")
struct DocumentChunkerTests {
    let chunker = DocumentChunker()

    /// The chunks' new content (overlap left out), joined.
    func content(_ chunks: [DocumentChunk]) -> String {
        chunks.map { String($0.text.dropFirst($0.overlap)) }.joined(separator: "\n")
    }

    @Test("a typeset PDF comes back whole, in order, page spans rising and every chunk within its size", arguments: ["zhufu", "xiangyu", "aspirin"])
    func typesetTwins(name: String) throws {
        let url = repositoryRoot.appendingPathComponent("corpora/twins/\(name).pdf")
        let document = try DocumentReader(pdf: MuPDFTextReader()).read(Data(contentsOf: url), fileName: url.lastPathComponent)
        let chunks = chunker.chunks(of: document)
        let truth = try String(contentsOf: url.deletingPathExtension().appendingPathExtension("txt"), encoding: .utf8)
        #expect(TextFidelity.accuracy(extracted: content(chunks), truth: truth) >= 0.995)
        #expect(chunks.first?.pages.lowerBound == 1 && chunks.last?.pages.upperBound == document.pages.count)
        #expect(zip(chunks, chunks.dropFirst()).allSatisfy { $0.pages.lowerBound <= $1.pages.lowerBound && $0.characters.upperBound <= $1.characters.lowerBound })
        #expect(chunks.allSatisfy { $0.text.count - $0.overlap <= chunker.maximum }, "\(chunks.map { $0.text.count })")
        // Chunks are paragraphs put together, not cut mid-sentence: most end at a sentence end.
        let ended = chunks.filter { DocumentChunker.sentenceEnds.contains($0.text.last!) || DocumentChunker.closers.contains($0.text.last!) }
        #expect(Double(ended.count) >= 0.8 * Double(chunks.count))
        #expect(chunks.dropFirst().contains { $0.overlap > 0 })
    }

    @Test("each chunk's character range points at its own text in the document")
    func offsets() throws {
        let url = repositoryRoot.appendingPathComponent("corpora/twins/aspirin.pdf")
        let document = try DocumentReader(pdf: MuPDFTextReader()).read(Data(contentsOf: url), fileName: "aspirin.pdf")
        let full = Array(document.fullText.unicodeScalars)
        for chunk in chunker.chunks(of: document) {
            let span = String(String.UnicodeScalarView(full[chunk.characters])).filter { !$0.isWhitespace }
            let text = String(chunk.text.dropFirst(chunk.overlap)).filter { !$0.isWhitespace }
            #expect(span == text, "chunk \(chunk.index)")
        }
    }

    @Test("headings open a chunk, page numbers are dropped, paragraphs run over page breaks, hyphenated words rejoin")
    func structure() {
        let line = "The quick brown fox jumps over the lazy dog and keeps running along the river bank until"
        let pages = [
            "Results\n\n\(line) every-\nthing is quiet.\n\(line)\n- 1 -",
            "\(line)\nthe story goes on past the page.\nMethods\n\(line)\nnothing more.\n2",
        ]
        let chunks = DocumentChunker(target: 40, maximum: 200).chunks(of: DocumentText(format: .pdf, pages: pages))
        #expect(chunks.count == 3)
        #expect(chunks[0].text.hasPrefix("Results\n") && chunks[0].text.contains("until everything is quiet.") && chunks[0].pages == 1...1)
        #expect(chunks[1].text.contains("\(line) \(line) the story goes on past the page.") && chunks[1].pages == 1...2)
        #expect(chunks[2].text.contains("Methods\n") && chunks[2].pages == 2...2)
        #expect(!chunks.map(\.text).joined().contains("- 1 -") && !chunks[2].text.hasSuffix("2"))
    }

    @Test("text files split at blank lines; Chinese sizes count characters and alphabetic ones three times as many")
    func textSizes() {
        let chinese = (1...12).map { "第\($0)段。" + String(repeating: "这是一个用来测试分块的中文句子。", count: 4) }.joined(separator: "\n\n")
        let zh = chunker.chunks(of: DocumentText(format: .text, pages: [chinese]))
        #expect(zh.count > 1 && zh.allSatisfy { $0.text.count - $0.overlap <= 500 })
        let english = (1...12).map { "Paragraph \($0). " + String(repeating: "This sentence tests how English text is chunked. ", count: 4) }
            .joined(separator: "\n\n")
        let en = chunker.chunks(of: DocumentText(format: .text, pages: [english]))
        #expect(en.count < zh.count * 2 && en.allSatisfy { $0.text.count - $0.overlap <= 1_500 })
        #expect(en.allSatisfy { $0.pages == 1...1 })
    }

    @Test("a Windows text file (CRLF) splits into its paragraphs like a Unix one, at the same offsets")
    func windowsLineBreaks() {
        let unix = "First paragraph about aspirin.\n\nSecond paragraph about dosage.\n\nThird one about children.\n"
        let windows = unix.replacingOccurrences(of: "\n", with: "\r\n")
        let small = DocumentChunker(target: 10, maximum: 40)
        let unixChunks = small.chunks(of: DocumentText(format: .text, pages: [unix]))
        let windowsChunks = small.chunks(of: DocumentText(format: .text, pages: [windows]))
        #expect(unixChunks.count == 3)
        #expect(windowsChunks.map(\.text) == unixChunks.map(\.text))
        #expect(windowsChunks.allSatisfy { !$0.text.contains("\r") })
        // Offsets point into the Windows text itself: each chunk's span reads back its paragraph.
        let scalars = Array(windows.unicodeScalars)
        for chunk in windowsChunks {
            let span = String(String.UnicodeScalarView(scalars[chunk.characters]))
            #expect(chunk.text.hasSuffix(span))
        }
    }

    @Test("pieces of a long one-line paragraph keep exact offsets: each chunk's span reads back its own text")
    func exactOffsetsOfSplitParagraphs() {
        let sentence = "阿司匹林是一种历史悠久的解热镇痛药。"
        let text = "标题\n\n" + String(repeating: sentence, count: 30) + "\n\n" + "短段落。\n"
        let chunks = DocumentChunker(target: 60, maximum: 100, overlap: 0).chunks(of: DocumentText(format: .text, pages: [text]))
        #expect(chunks.count > 4)
        let scalars = Array(text.unicodeScalars)
        for chunk in chunks where !chunk.text.contains("\n") {
            #expect(String(String.UnicodeScalarView(scalars[chunk.characters])) == chunk.text, "chunk \(chunk.index)")
        }
    }
}
