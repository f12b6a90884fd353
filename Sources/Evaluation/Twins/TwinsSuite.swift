import Foundation
import VividCrowdCore

/// One question of a document-QA suite (the `twins-qa` format): answerable with a gold answer, or one the document
/// does not cover.
public struct TwinsQuery: Sendable, Decodable {
    public enum Kind: String, Sendable, Decodable {
        case answerable
        case noEvidenceSameTopic = "no_evidence_same_topic"
        case noEvidenceOtherDocument = "no_evidence_other_doc"
    }

    public var qid: String
    public var doc: String
    public var query: String
    public var answer: String?
    public var answers: [String]?
    /// Offset of the answer in the document's text (Unicode scalars), in text suites.
    public var docCharStart: Int?
    public var type: Kind
    /// Pages the answer is printed on, in PDF suites.
    public var answerPages: [Int]?

    public init(
        qid: String, doc: String, query: String, answer: String?, answers: [String]?, docCharStart: Int?, type: Kind,
        answerPages: [Int]?
    ) {
        self.qid = qid
        self.doc = doc
        self.query = query
        self.answer = answer
        self.answers = answers
        self.docCharStart = docCharStart
        self.type = type
        self.answerPages = answerPages
    }

    enum CodingKeys: String, CodingKey {
        case qid, doc, query, answer, answers, type
        case docCharStart = "doc_char_start"
        case answerPages = "answer_pages"
    }

    public var isAnswerable: Bool { type == .answerable }

    /// Every accepted answer string.
    public var answerStrings: [String] { Array(Set((answers ?? []) + (answer.map { [$0] } ?? []))).filter { !$0.isEmpty }.sorted() }
}

/// A document-QA suite: documents by name and the questions asked of them.
public struct TwinsSuite: Sendable {
    public enum Source: Sendable {
        /// `docs/<doc>.txt` (or docs.jsonl's paragraphs): exact text with the answers' offsets.
        case text
        /// `<doc>.pdf` files, read through the PDF reader.
        case pdf
    }

    public var name: String
    public var source: Source
    /// The folder the suite was read from.
    public var folder: URL
    /// Document names, sorted.
    public var documents: [String]
    public var queries: [TwinsQuery]
    /// Document titles from docs.jsonl (text suites), by document name.
    public var titles: [String: String] = [:]

    /// The same suite with every question folded to simplified characters, as a reader of simplified Chinese asks
    /// a document written in traditional ones (the documents stay as they are).
    public func askedInSimplified(_ folding: ChineseScriptFolding) -> TwinsSuite {
        var copy = self
        copy.queries = queries.map { query in
            var folded = query
            folded.query = folding.folded(query.query)
            return folded
        }
        return copy
    }

    struct DocumentLine: Decodable {
        var doc: String
        var title: String?
        var paragraphs: [String]?
    }

    /// The suite folders under `path`: the folder itself when it holds docs.jsonl and queries.jsonl (or PDFs and
    /// queries.jsonl, with `pdf`), otherwise its immediate subfolders that do, sorted by name.
    public static func folders(at path: String, pdf: Bool) throws -> [URL] {
        let url = URL(fileURLWithPath: path)
        if isSuite(url, pdf: pdf) { return [url] }
        let children = try FileManager.default.contentsOfDirectory(at: url, includingPropertiesForKeys: nil)
            .filter { isSuite($0, pdf: pdf) }.sorted { $0.lastPathComponent < $1.lastPathComponent }
        guard !children.isEmpty else {
            throw TwinsSuiteError.notASuite(path, expected: pdf ? "<doc>.pdf files and queries.jsonl" : "docs.jsonl and queries.jsonl")
        }
        return children
    }

    static func isSuite(_ url: URL, pdf: Bool) -> Bool {
        let manager = FileManager.default
        guard manager.fileExists(atPath: url.appendingPathComponent("queries.jsonl").path) else { return false }
        if !pdf { return manager.fileExists(atPath: url.appendingPathComponent("docs.jsonl").path) }
        return ((try? manager.contentsOfDirectory(atPath: url.path)) ?? []).contains { $0.hasSuffix(".pdf") }
    }

    /// Reads a text suite folder (docs.jsonl + queries.jsonl) or a PDF folder (`<doc>.pdf` + queries.jsonl).
    public static func load(_ folder: URL, source: Source) throws -> TwinsSuite {
        let queries = try JSONLines.decode(TwinsQuery.self, from: Data(contentsOf: folder.appendingPathComponent("queries.jsonl")))
        let documents: [String]
        var titles: [String: String] = [:]
        switch source {
        case .text:
            let lines = try JSONLines.decode(DocumentLine.self, from: Data(contentsOf: folder.appendingPathComponent("docs.jsonl")))
            documents = lines.map(\.doc).sorted()
            for line in lines { titles[line.doc] = line.title }
        case .pdf:
            documents = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".pdf") }
                .map { String($0.dropLast(4)) }.sorted()
        }
        let known = Set(documents)
        return TwinsSuite(
            name: folder.lastPathComponent, source: source, folder: folder, documents: documents,
            queries: queries.filter { known.contains($0.doc) }, titles: titles)
    }

    /// The exact text of a text suite's document: `docs/<doc>.txt`, or its paragraphs joined as that file is made.
    public func text(of document: String) throws -> String {
        let file = folder.appendingPathComponent("docs/\(document).txt")
        if FileManager.default.fileExists(atPath: file.path) { return try String(contentsOf: file, encoding: .utf8) }
        let lines = try JSONLines.decode(DocumentLine.self, from: Data(contentsOf: folder.appendingPathComponent("docs.jsonl")))
        guard let paragraphs = lines.first(where: { $0.doc == document })?.paragraphs else {
            throw TwinsSuiteError.missingDocument(document)
        }
        return paragraphs.joined(separator: "\n\n") + "\n"
    }
}

/// A folder that is not in the documented suite format.
public enum TwinsSuiteError: Error, CustomStringConvertible {
    case notASuite(String, expected: String)
    case missingDocument(String)

    public var description: String {
        switch self {
        case .notASuite(let path, let expected): return "\(path) holds no suite: expected \(expected), or subfolders that do"
        case .missingDocument(let name): return "document \(name) has neither docs/\(name).txt nor paragraphs in docs.jsonl"
        }
    }
}
