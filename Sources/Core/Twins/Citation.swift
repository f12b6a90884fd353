import Foundation

/// A passage an answer cites: which chunk, on which page, and a short quote from it.
public struct Citation: Sendable, Codable, Equatable {
    /// The passage number the reply used ("[2]").
    public var marker: Int
    /// The chunk's position in its document.
    public var chunkID: Int
    /// The page the quoted sentence is on, and the chunk's page span.
    public var page: Int
    public var pages: [Int]
    /// A sentence of the chunk, at most `Citation.snippetLimit` characters.
    public var snippet: String
    /// The twin whose document the chunk is from.
    public var twinID: Int?

    enum CodingKeys: String, CodingKey {
        case marker, page, pages, snippet
        case chunkID = "chunk_id"
        case twinID = "twin_id"
    }

    public init(marker: Int, chunkID: Int, page: Int, pages: [Int], snippet: String, twinID: Int? = nil) {
        self.marker = marker
        self.chunkID = chunkID
        self.page = page
        self.pages = pages
        self.snippet = snippet
        self.twinID = twinID
    }

    public static let snippetLimit = 160
}

/// Finds the passage markers in a reply and keeps only those that point at passages the reply was given: a model
/// that cites "[7]" with five passages, or invents a source, gets no citation for it.
public enum CitationExtractor {
    /// Markers "[2]", "[1, 3]", "【2】", "［2］" in order of first use.
    public static func markers(in reply: String) -> [Int] {
        guard let pattern = try? NSRegularExpression(pattern: #"[\[【［]\s*(\d{1,3}(?:\s*[,，、]\s*\d{1,3})*)\s*[\]】］]"#) else { return [] }
        var seen: [Int] = []
        let range = NSRange(reply.startIndex..., in: reply)
        for match in pattern.matches(in: reply, range: range) {
            guard let inner = Range(match.range(at: 1), in: reply) else { continue }
            for part in reply[inner].split(whereSeparator: { ",，、 ".contains($0) }) {
                if let number = Int(part), !seen.contains(number) { seen.append(number) }
            }
        }
        return seen
    }

    /// The citations of `reply` among `passages` (numbered from 1), each with the chunk sentence closest to the
    /// reply's words and its page (`pageStarts`: the offset in the document's full text where each page begins).
    public static func citations(in reply: String, passages: [DocumentChunk], pageStarts: [Int]) -> [Citation] {
        markers(in: reply).compactMap { marker in
            guard marker >= 1, marker <= passages.count else { return nil }
            return citation(marker: marker, of: passages[marker - 1], for: reply, pageStarts: pageStarts)
        }
    }

    /// Every passage a reply was given, numbered as in its prompt, whether or not the reply cited it.
    public static func sources(of passages: [DocumentChunk], for reply: String, pageStarts: [Int]) -> [Citation] {
        passages.enumerated().map { citation(marker: $0.offset + 1, of: $0.element, for: reply, pageStarts: pageStarts) }
    }

    /// The citation of `chunk` as passage `marker` of `reply`: its sentence closest to the reply's words, on its page.
    public static func citation(marker: Int, of chunk: DocumentChunk, for reply: String, pageStarts: [Int]) -> Citation {
        let (snippet, offset) = bestSentence(of: chunk, for: reply)
        return Citation(
            marker: marker, chunkID: chunk.index, page: page(of: chunk, offset: offset, pageStarts: pageStarts),
            pages: Array(chunk.pages), snippet: snippet)
    }

    /// The chunk's own sentence (the carried overlap skipped) sharing the most characters bigrams with the reply,
    /// cut to the snippet limit, and its share of the way through the chunk's own text.
    static func bestSentence(of chunk: DocumentChunk, for reply: String) -> (String, Double) {
        let own = String(chunk.ownText)
        let sentences = DocumentChunker.sentences(of: own)
        let replyBigrams = bigrams(reply)
        var best = (score: -1, index: 0)
        for (index, sentence) in sentences.enumerated() {
            let score = bigrams(sentence).intersection(replyBigrams).count
            if score > best.score { best = (score, index) }
        }
        let before = sentences.prefix(best.index).reduce(0) { $0 + $1.count }
        let sentence = sentences.isEmpty ? own : sentences[best.index].trimmingCharacters(in: .whitespacesAndNewlines)
        let snippet = sentence.count > Citation.snippetLimit ? String(sentence.prefix(Citation.snippetLimit - 1)) + "…" : sentence
        return (snippet, own.isEmpty ? 0 : Double(before) / Double(own.count))
    }

    static func bigrams(_ text: String) -> Set<String> {
        let characters = Array(text.lowercased().filter { !$0.isWhitespace && !$0.isPunctuation })
        guard characters.count >= 2 else { return Set(characters.map(String.init)) }
        return Set((0..<(characters.count - 1)).map { String(characters[$0...($0 + 1)]) })
    }

    /// The page holding the point `share` of the way through the chunk's span.
    static func page(of chunk: DocumentChunk, offset share: Double, pageStarts: [Int]) -> Int {
        guard chunk.pages.count > 1, !pageStarts.isEmpty else { return chunk.pages.lowerBound }
        let position = chunk.characters.lowerBound + Int(Double(chunk.characters.count) * share)
        let page = (pageStarts.lastIndex { $0 <= position } ?? 0) + 1
        return min(max(page, chunk.pages.lowerBound), chunk.pages.upperBound)
    }
}

extension DocumentText {
    /// Where each page begins in `fullText` (Unicode scalars), for placing a citation on its page.
    public var pageStarts: [Int] {
        var starts: [Int] = []
        var offset = 0
        for page in pages {
            starts.append(offset)
            offset += page.unicodeScalars.count + 1
        }
        return starts
    }
}
