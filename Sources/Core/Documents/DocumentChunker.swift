import Foundation

/// A passage of a document, the unit a twin retrieves and cites: its text, the pages it spans and where it sits in
/// the document's text.
public struct DocumentChunk: Sendable, Equatable, Codable {
    /// Position in the document, from 0.
    public var index: Int
    public var text: String
    /// First and last page, from 1.
    public var pages: ClosedRange<Int>
    /// Unicode-scalar offsets into `DocumentText.fullText` (the page texts joined by "\n"), from the first character
    /// of the chunk's first paragraph to the end of its last. The overlap carried from the previous chunk is outside.
    public var characters: Range<Int>
    /// Characters at the start of `text` repeated from the previous chunk (context, not new content).
    public var overlap: Int

    public init(index: Int, text: String, pages: ClosedRange<Int>, characters: Range<Int>, overlap: Int) {
        self.index = index
        self.text = text
        self.pages = pages
        self.characters = characters
        self.overlap = overlap
    }
}

extension DocumentText {
    /// The page texts joined by "\n": what `DocumentChunk.characters` points into.
    public var fullText: String { pages.joined(separator: "\n") }
}

/// Splits a document into chunks along its structure: paragraphs (blank lines in text files; in PDFs, where every
/// typeset line may be its own block, a line that stops well short of the page's usual width ends a paragraph),
/// headings (short lines without closing punctuation) opening a new chunk, paragraphs that run over a page break
/// joined, page-number footers dropped, and sizes set per language (characters for Chinese, about three times as
/// many for alphabetic text). Each chunk repeats the last sentence of the one before it, if short.
public struct DocumentChunker: Sendable {
    /// Target and maximum chunk length in characters, for CJK text; alphabetic text gets `latinFactor` times these.
    public var target: Int
    public var maximum: Int
    public var latinFactor: Int
    /// The longest sentence carried over as overlap, in CJK characters (times `latinFactor` for alphabetic text).
    public var overlap: Int

    public init(target: Int = 400, maximum: Int = 700, latinFactor: Int = 3, overlap: Int = 60) {
        self.target = target
        self.maximum = maximum
        self.latinFactor = latinFactor
        self.overlap = overlap
    }

    struct Line {
        var text: String
        var page: Int
        var start: Int
        var end: Int
    }

    struct Paragraph {
        var text: String
        var pages: ClosedRange<Int>
        var characters: Range<Int>
        var isHeading: Bool
    }

    public func chunks(of document: DocumentText) -> [DocumentChunk] {
        let paragraphs = paragraphs(of: document)
        let scale = MessageText.isChinese(paragraphs.prefix(20).map(\.text).joined()) ? 1 : latinFactor
        let (target, maximum, overlapLimit) = (self.target * scale, self.maximum * scale, self.overlap * scale)

        // Paragraphs longer than the maximum are cut at sentence ends first.
        var pieces: [Paragraph] = []
        for paragraph in paragraphs {
            pieces += split(paragraph, maximum: maximum)
        }

        var chunks: [DocumentChunk] = []
        var current: [Paragraph] = []
        var length = 0
        func flush() {
            guard let first = current.first, let last = current.last else { return }
            let body = current.map(\.text).joined(separator: "\n")
            var carried = ""
            if let previous = chunks.last, let sentence = Self.lastSentence(of: previous.text), sentence.count <= overlapLimit,
                sentence != previous.text
            {
                carried = sentence + "\n"
            }
            chunks.append(DocumentChunk(
                index: chunks.count, text: carried + body,
                pages: first.pages.lowerBound...max(first.pages.upperBound, last.pages.upperBound),
                characters: first.characters.lowerBound..<last.characters.upperBound, overlap: carried.count))
            current = []
            length = 0
        }
        for piece in pieces {
            let pieceLength = piece.text.count
            let onlyHeadings = current.allSatisfy(\.isHeading)
            if !current.isEmpty, !onlyHeadings, piece.isHeading || length + pieceLength > target && length >= target / 2
                || length + pieceLength > maximum
            {
                flush()
            }
            current.append(piece)
            length += pieceLength + 1
        }
        flush()
        return chunks
    }

    // MARK: - Paragraphs

    func paragraphs(of document: DocumentText) -> [Paragraph] {
        var lines: [Line] = []
        var offset = 0
        var blankAfter: Set<Int> = []
        for (pageIndex, page) in document.pages.enumerated() {
            for raw in page.split(separator: "\n", omittingEmptySubsequences: false) {
                let length = raw.unicodeScalars.count
                let text = raw.trimmingCharacters(in: .whitespaces)
                if text.isEmpty {
                    if !lines.isEmpty { blankAfter.insert(lines.count - 1) }
                } else if !Self.isPageNumber(text) {
                    let lead = raw.unicodeScalars.prefix { $0.properties.isWhitespace }.count
                    lines.append(Line(text: text, page: pageIndex + 1, start: offset + lead, end: offset + lead + text.unicodeScalars.count))
                }
                offset += length + 1
            }
            if !lines.isEmpty { blankAfter.insert(lines.count - 1) }
        }
        guard !lines.isEmpty else { return [] }

        // A PDF line is "full" when it reaches close to the usual width of its page's lines.
        var usual: [Int: Int] = [:]
        if document.format == .pdf {
            for (page, pageLines) in Dictionary(grouping: lines, by: \.page) {
                let widths = pageLines.map { Self.width($0.text) }.sorted()
                usual[page] = widths[min(widths.count - 1, widths.count * 9 / 10)]
            }
        }
        func ends(_ index: Int) -> Bool {
            let line = lines[index]
            guard index + 1 < lines.count else { return true }
            if document.format != .pdf { return blankAfter.contains(index) }
            let full = Self.width(line.text) >= Int(Double(usual[line.page] ?? 0) * 0.85)
            // In a PDF a blank line may sit after every typeset line, so only a short line ends a paragraph; a
            // paragraph whose last line on a page is full goes on over the page break.
            return !full
        }

        var paragraphs: [Paragraph] = []
        var group: [Line] = []
        for index in lines.indices {
            group.append(lines[index])
            guard ends(index) else { continue }
            let text = Self.join(group.map(\.text))
            let heading = group.count == 1 && Self.looksLikeHeading(text)
            paragraphs.append(Paragraph(
                text: text, pages: group[0].page...group[group.count - 1].page,
                characters: group[0].start..<group[group.count - 1].end, isHeading: heading))
            group = []
        }
        return paragraphs
    }

    /// Lines of one paragraph as running text: no space between CJK characters, hyphenated words rejoined.
    static func join(_ lines: [String]) -> String {
        var text = ""
        for line in lines {
            guard let last = text.unicodeScalars.last, let first = line.unicodeScalars.first else {
                text += line
                continue
            }
            if last == "-", first.properties.isLowercase, text.unicodeScalars.dropLast().last?.properties.isAlphabetic == true {
                text.removeLast()
            } else if !(isWide(last) || isWide(first)) {
                text += " "
            }
            text += line
        }
        return text
    }

    /// A paragraph longer than `maximum`, cut after sentence ends (or hard, when a sentence alone is too long).
    func split(_ paragraph: Paragraph, maximum: Int) -> [Paragraph] {
        guard paragraph.text.count > maximum else { return [paragraph] }
        var pieces: [String] = []
        var current = ""
        for sentence in Self.sentences(of: paragraph.text) {
            if current.count + sentence.count > maximum, !current.isEmpty {
                pieces.append(current)
                current = ""
            }
            var rest = Substring(sentence)
            while rest.count > maximum {
                pieces.append(String(rest.prefix(maximum)))
                rest = rest.dropFirst(maximum)
            }
            current += rest
        }
        if !current.isEmpty { pieces.append(current) }
        // Offsets are shared out in proportion to length: a piece's page is the paragraph's pages, its span its part.
        let total = max(1, paragraph.text.count)
        let span = paragraph.characters.count
        var consumed = 0
        return pieces.map { piece in
            let start = paragraph.characters.lowerBound + span * consumed / total
            consumed += piece.count
            let end = paragraph.characters.lowerBound + span * consumed / total
            return Paragraph(text: piece, pages: paragraph.pages, characters: start..<max(start, end), isHeading: false)
        }
    }

    static let sentenceEnds: Set<Character> = ["。", "！", "？", "!", "?", ".", "；", ";", "…"]
    static let closers: Set<Character> = ["”", "’", "」", "』", "）", ")", "\"", "'"]

    /// The sentences of a text, each with its closing punctuation and quotes.
    static func sentences(of text: String) -> [String] {
        var sentences: [String] = []
        var current = ""
        var previousEnded = false
        for character in text {
            if previousEnded, !sentenceEnds.contains(character), !closers.contains(character) {
                sentences.append(current)
                current = ""
            }
            current.append(character)
            previousEnded = sentenceEnds.contains(character) || (previousEnded && closers.contains(character))
        }
        if !current.isEmpty { sentences.append(current) }
        return sentences
    }

    static func lastSentence(of text: String) -> String? {
        sentences(of: text).last?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A page number alone on its line ("12", "- 12 -", "第 12 页", "Page 12").
    static func isPageNumber(_ line: String) -> Bool {
        line.range(of: #"^(?:[-–—]?\s*\d{1,4}\s*[-–—]?|第\s*\d{1,4}\s*页|page\s+\d{1,4}(\s+of\s+\d{1,4})?)$"#,
                   options: [.regularExpression, .caseInsensitive]) != nil
    }

    /// A short line without closing punctuation, such as "第一章" or "Results".
    static func looksLikeHeading(_ text: String) -> Bool {
        guard let last = text.last else { return false }
        let limit = text.unicodeScalars.contains(where: isWide) ? 20 : 60
        return text.count <= limit && !sentenceEnds.contains(last) && !closers.contains(last) && last != "，" && last != ","
            && last != "：" && last != ":"
    }

    /// Display width: CJK characters count two.
    static func width(_ text: String) -> Int { text.unicodeScalars.reduce(0) { $0 + (isWide($1) ? 2 : 1) } }

    static func isWide(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x1100...0x115F, 0x2E80...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60,
             0xFFE0...0xFFE6, 0x20000...0x3FFFD:
            return true
        default: return false
        }
    }
}
