import Foundation
import Testing
import VividCrowdCore
import VividCrowdDocuments
import VividCrowdTesting

@Suite("Reading documents")
struct DocumentReaderTests {
    let reader = DocumentReader(pdf: MuPDFTextReader())
    let fixtures = repositoryRoot.appendingPathComponent("Tests/VividCrowdDocumentsTests/Fixtures")
    let twins = repositoryRoot.appendingPathComponent("corpora/twins")

    func read(_ url: URL, reader: DocumentReader? = nil) throws -> DocumentText {
        try (reader ?? self.reader).read(Data(contentsOf: url), fileName: url.lastPathComponent)
    }

    @Test("the shipped twins' PDFs read page by page at ≥ 99.5% of their source text (whitespace aside)",
          arguments: ["xiangyu", "zhufu", "aspirin"])
    func twinsFidelity(name: String) throws {
        let document = try read(twins.appendingPathComponent("\(name).pdf"))
        #expect(document.format == .pdf && document.pages.count == 8)
        let truth = try String(contentsOf: twins.appendingPathComponent("\(name).txt"), encoding: .utf8)
        let accuracy = TextFidelity.accuracy(extracted: document.pages.joined(separator: "\n"), truth: truth)
        #expect(accuracy >= 0.995, "\(name): \(accuracy)")
    }

    @Test("pdfminer's simple5 (Latin, curly quotes) comes out as its test expects")
    func latinSample() throws {
        let text = try read(fixtures.appendingPathComponent("simple5.pdf")).pages.joined(separator: "\n")
        let expected = "Heading\n\nLink to heading that is working with vim-pandoc.\n\nLink to heading “that is” not working with "
            + "vim-pandoc.\n\nSubheading\n\nSome “more text”\n\n1\n"
        #expect(TextFidelity.accuracy(extracted: text, truth: expected) == 1)
    }

    @Test("bad PDFs get their own clear errors", arguments: [
        ("encrypted.pdf", DocumentError.encrypted), ("scanned.pdf", .noTextLayer(pages: 1)), ("truncated.pdf", .truncated),
    ])
    func badPDFs(file: String, error: DocumentError) {
        #expect(throws: error) { try read(fixtures.appendingPathComponent(file)) }
    }

    @Test("bytes that are not a PDF, or a PDF whose insides are garbage, are corrupt; other files are refused by name")
    func corruptAndUnsupported() throws {
        #expect(throws: DocumentError.corrupt) { try reader.read(Data("%PDF-1.7\nnot really\n%%EOF\n".utf8), fileName: "x.pdf") }
        var garbage = Data("%PDF-1.4\n".utf8)
        var generator = SeededGenerator(seed: 11)
        garbage.append(contentsOf: (0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) })
        garbage.append(Data("\n%%EOF\n".utf8))
        #expect(throws: DocumentError.self) { try reader.read(garbage, fileName: "garbage.pdf") }
        // Found by fuzzing: a page tree whose /Count overflows MuPDF's int used to trap on a negative page range.
        let overflow = repositoryRoot.appendingPathComponent("Tests/Fuzz/crashes/pdf/negative-page-count.pdf")
        #expect(throws: DocumentError.self) { try read(overflow) }
        #expect(throws: DocumentError.unsupportedFormat("slides.pptx")) { try reader.read(Data("x".utf8), fileName: "/tmp/slides.pptx") }
    }

    @Test("size and page limits are checked before anything is kept")
    func limits() throws {
        let small = DocumentReader(pdf: MuPDFTextReader(), limits: DocumentLimits(maximumBytes: 1_000, maximumPages: 5))
        #expect(throws: DocumentError.tooLarge(bytes: 2_000, limit: 1_000)) {
            try small.read(Data(repeating: 0x41, count: 2_000), fileName: "big.txt")
        }
        let pages = DocumentReader(pdf: MuPDFTextReader(), limits: DocumentLimits(maximumBytes: 10_000_000, maximumPages: 5))
        #expect(throws: DocumentError.tooManyPages(8, limit: 5)) { try read(twins.appendingPathComponent("zhufu.pdf"), reader: pages) }
    }

    @Test("text and Markdown files are one page, decoded like knowledge bases; empty ones are refused")
    func textFiles() throws {
        let gb = try #require(TextDecoding.encode("祝福\n旧历的年底", as: "GB18030"))
        #expect(try reader.read(gb, fileName: "zhufu.txt") == DocumentText(format: .text, pages: ["祝福\n旧历的年底"]))
        #expect(try reader.read(Data("# Title\n\nBody".utf8), fileName: "notes.MD").format == .markdown)
        #expect(throws: DocumentError.empty) { try reader.read(Data(" \n\t\n".utf8), fileName: "blank.txt") }
        #expect(throws: DocumentError.undecodableText) { try reader.read(Data([0xFF, 0x00, 0x81, 0xFE, 0x81]), fileName: "bad.txt") }
    }

    @Test("fidelity ignores whitespace and zero-width characters and counts what differs")
    func fidelity() {
        #expect(TextFidelity.accuracy(extracted: "a b\u{200B}c", truth: "abc") == 1)
        #expect(TextFidelity.accuracy(extracted: "abXd", truth: "abcd") == 0.75)
        #expect(TextFidelity.accuracy(extracted: "", truth: "abcd") == 0)
        #expect(TextFidelity.accuracy(extracted: "无⋯⋯，", truth: "无……，") == 1)
    }
}
