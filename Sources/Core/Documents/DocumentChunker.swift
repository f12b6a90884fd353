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

extension DocumentChunk {
    /// The chunk's text without the overlap carried from the previous chunk: what it is ranked by.
    public var ownText: Substring { text.dropFirst(overlap) }
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
        /// Display width, computed once: paragraph detection compares it with the page's usual width.
        var width: Int
    }

    struct Paragraph {
        var text: String
        var pages: ClosedRange<Int>
        var characters: Range<Int>
        var isHeading: Bool
        /// Whether `text` is exactly the source's scalars over `characters` (one line, nothing joined), so a piece
        /// of it has exact offsets.
        var isVerbatim = false
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
            // Split by bytes: as Characters, "\r\n" is one grapheme and a Windows text file would be one line.
            for bytes in page.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
                let raw = Substring(bytes)
                let length = raw.unicodeScalars.count
                let text = Self.trimmingSpaces(raw)
                if text.isEmpty {
                    if !lines.isEmpty { blankAfter.insert(lines.count - 1) }
                } else if !Self.isPageNumber(text) {
                    let lead = raw.unicodeScalars.prefix { $0.properties.isWhitespace }.count
                    lines.append(Line(
                        text: text, page: pageIndex + 1, start: offset + lead, end: offset + lead + text.unicodeScalars.count,
                        width: Self.width(text)))
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
                let widths = pageLines.map(\.width).sorted()
                usual[page] = widths[min(widths.count - 1, widths.count * 9 / 10)]
            }
        }
        func ends(_ index: Int) -> Bool {
            let line = lines[index]
            guard index + 1 < lines.count else { return true }
            if document.format != .pdf { return blankAfter.contains(index) }
            let full = line.width >= Int(Double(usual[line.page] ?? 0) * 0.85)
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
                characters: group[0].start..<group[group.count - 1].end, isHeading: heading, isVerbatim: group.count == 1))
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
        // A paragraph of at most `maximum` bytes has at most that many characters; only longer ones are counted.
        guard paragraph.text.utf8.count > maximum, paragraph.text.count > maximum else { return [paragraph] }
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
        // A one-line paragraph's pieces sit at exact offsets. In a joined one, offsets are shared out in proportion to
        // length: a piece's page is the paragraph's pages, its span its part.
        if paragraph.isVerbatim {
            var start = paragraph.characters.lowerBound
            return pieces.map { piece in
                let end = start + piece.unicodeScalars.count
                defer { start = end }
                return Paragraph(text: piece, pages: paragraph.pages, characters: start..<end, isHeading: false, isVerbatim: true)
            }
        }
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

    /// The sentence ends and closing quotes as scalars, for scanning without hashing Characters.
    static func isSentenceEnd(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "。", "！", "？", "!", "?", ".", "；", ";", "…": return true
        default: return false
        }
    }

    static func isCloser(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "”", "’", "」", "』", "）", ")", "\"", "'": return true
        default: return false
        }
    }

    /// The sentences of a text, each with its closing punctuation and quotes.
    static func sentences(of text: String) -> [String] {
        var sentences: [String] = []
        let scalars = text.unicodeScalars
        var start = scalars.startIndex
        var previousEnded = false
        var index = scalars.startIndex
        while index < scalars.endIndex {
            let scalar = scalars[index]
            let end = isSentenceEnd(scalar)
            if previousEnded, !end, !isCloser(scalar) {
                sentences.append(String(scalars[start..<index]))
                start = index
            }
            previousEnded = end || (previousEnded && isCloser(scalar))
            index = scalars.index(after: index)
        }
        if start < scalars.endIndex { sentences.append(String(scalars[start...])) }
        return sentences
    }

    /// The last of `sentences(of: text)`, trimmed, found by scanning back from the end: a sentence starts after a
    /// run of ends and closers that holds at least one end.
    static func lastSentence(of text: String) -> String? {
        let scalars = text.unicodeScalars
        guard !scalars.isEmpty else { return nil }
        var index = scalars.endIndex
        var start = scalars.startIndex
        // Walk back to the last scalar that is neither an end nor a closer, then check the run before it.
        while index > scalars.startIndex {
            let before = scalars.index(before: index)
            let scalar = scalars[before]
            if !isSentenceEnd(scalar), !isCloser(scalar) {
                var run = before
                var runHasEnd = false
                while run > scalars.startIndex {
                    let previous = scalars[scalars.index(before: run)]
                    guard isSentenceEnd(previous) || isCloser(previous) else { break }
                    runHasEnd = runHasEnd || isSentenceEnd(previous)
                    run = scalars.index(before: run)
                }
                if runHasEnd, run < before {
                    start = before
                    break
                }
            }
            index = before
        }
        return String(scalars[start...]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A line without its leading and trailing spaces, tabs (what `CharacterSet.whitespaces` trims: the Zs
    /// category and tab) and the "\r" of a Windows line break, without Foundation's per-call cost on every line.
    static func trimmingSpaces(_ line: Substring) -> String {
        // A line break's "\r" goes with the spaces.
        func isSpace(_ scalar: Unicode.Scalar) -> Bool {
            switch scalar.value {
            case 0x09, 0x0D, 0x20, 0xA0, 0x1680, 0x2000...0x200A, 0x202F, 0x205F, 0x3000: return true
            default: return false
            }
        }
        let scalars = line.unicodeScalars
        guard let first = scalars.firstIndex(where: { !isSpace($0) }), let last = scalars.lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(scalars[first...last])
    }

    /// A page number alone on its line ("12", "- 12 -", "第 12 页", "Page 12 of 30").
    static func isPageNumber(_ line: String) -> Bool {
        // The pattern matches at most 24 bytes besides spaces ("page 1234 of 1234", "第 1234 页") and needs a digit;
        // most lines fail one of these cheaply and skip the regex.
        guard line.utf8.lazy.filter({ $0 != 0x20 && $0 != 0x09 }).count <= 24,
            line.utf8.contains(where: { $0 >= 0x30 && $0 <= 0x39 })
        else { return false }
        return line.range(of: #"^(?:[-–—]?\s*\d{1,4}\s*[-–—]?|第\s*\d{1,4}\s*页|page\s+\d{1,4}(\s+of\s+\d{1,4})?)$"#,
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
