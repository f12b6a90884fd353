import Foundation

/// The text of an uploaded document, page by page (a text file is one page), in reading order.
public struct DocumentText: Sendable, Equatable {
    /// The document's format, as read.
    public enum Format: String, Sendable, Codable { case pdf, text, markdown }

    public var format: Format
    /// Page texts; `pages[0]` is page 1.
    public var pages: [String]

    public init(format: Format, pages: [String]) {
        self.format = format
        self.pages = pages
    }

    /// Characters other than whitespace, over all pages.
    public var visibleCharacters: Int {
        var count = 0
        for page in pages {
            for scalar in page.unicodeScalars {
                // The White_Space code points, listed: a Unicode property lookup per scalar costs more than the rest.
                switch scalar.value {
                case 0x09...0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: break
                default: count += 1
                }
            }
        }
        return count
    }
}

/// How large a document may be; larger ones are refused before anything is stored.
public struct DocumentLimits: Sendable, Equatable {
    public var maximumBytes: Int
    public var maximumPages: Int

    /// 50 MB and 2,000 pages.
    public static let standard = DocumentLimits(maximumBytes: 50 * 1024 * 1024, maximumPages: 2_000)

    public init(maximumBytes: Int, maximumPages: Int) {
        self.maximumBytes = maximumBytes
        self.maximumPages = maximumPages
    }
}

/// Why a document could not be read; each case says what the user can do.
public enum DocumentError: Error, Equatable, Sendable, CustomStringConvertible, ConversationFailure {
    case unsupportedFormat(String)
    case tooLarge(bytes: Int, limit: Int)
    case tooManyPages(Int, limit: Int)
    case encrypted
    case corrupt
    case truncated
    case unreadablePage(Int)
    case noTextLayer(pages: Int)
    case empty
    case undecodableText

    public var description: String {
        switch self {
        case .unsupportedFormat(let name):
            return "\(name) is not a PDF, .txt or .md document"
        case .tooLarge(let bytes, let limit):
            return "the document is \(bytes) bytes; at most \(limit) are accepted"
        case .tooManyPages(let pages, let limit):
            return "the document has \(pages) pages; at most \(limit) are accepted"
        case .encrypted:
            return "the PDF is encrypted: save a copy without a password and upload that"
        case .corrupt:
            return "the file is not a readable PDF (damaged, or not a PDF at all)"
        case .truncated:
            return "the PDF ends early (no %%EOF in its last kilobyte): the upload or the file was cut off"
        case .unreadablePage(let page):
            return "page \(page) of the PDF cannot be read (is the file truncated?)"
        case .noTextLayer(let pages):
            return "the PDF's \(pages) page(s) hold no text (scanned? run it through OCR first)"
        case .empty:
            return "the document holds no text"
        case .undecodableText:
            return "the text file is neither UTF-8, UTF-16 with a byte-order mark, nor GB18030"
        }
    }

    public var code: String {
        switch self {
        case .unsupportedFormat: return "unsupported_format"
        case .tooLarge: return "too_large"
        case .tooManyPages: return "too_many_pages"
        case .encrypted: return "encrypted"
        case .corrupt: return "corrupt"
        case .truncated: return "truncated"
        case .unreadablePage: return "unreadable_page"
        case .noTextLayer: return "no_text_layer"
        case .empty: return "empty"
        case .undecodableText: return "undecodable_text"
        }
    }

    public var userMessage: String { description }
}

/// Reads a PDF's text by page; the MuPDF reader lives in `VividCrowdDocuments`, so only the executables that read
/// PDFs link MuPDF.
public protocol PDFTextReader: Sendable {
    func pages(of data: Data, limits: DocumentLimits) throws -> [String]
}

/// Turns uploaded bytes into `DocumentText`: PDFs through a `PDFTextReader`, `.txt` and `.md` decoded like knowledge
/// bases. Every refusal is a `DocumentError`.
public struct DocumentReader: Sendable {
    public let pdf: any PDFTextReader
    public let limits: DocumentLimits

    public init(pdf: any PDFTextReader, limits: DocumentLimits = .standard) {
        self.pdf = pdf
        self.limits = limits
    }

    /// The text of `data`, named `fileName` (its extension, or the bytes' `%PDF-` signature, picks the format).
    public func read(_ data: Data, fileName: String) throws -> DocumentText {
        guard data.count <= limits.maximumBytes else { throw DocumentError.tooLarge(bytes: data.count, limit: limits.maximumBytes) }
        let suffix = (fileName as NSString).pathExtension.lowercased()
        let document: DocumentText
        if suffix == "pdf" || data.starts(with: Array("%PDF-".utf8)) {
            // MuPDF repairs a cut-off file silently and reads what is left; a twin built from part of its document
            // would answer as if it had all of it.
            guard data.suffix(1024).range(of: Data("%%EOF".utf8)) != nil else { throw DocumentError.truncated }
            document = DocumentText(format: .pdf, pages: try pdf.pages(of: data, limits: limits))
            guard !document.pages.isEmpty else { throw DocumentError.empty }
            guard document.visibleCharacters > 0 else { throw DocumentError.noTextLayer(pages: document.pages.count) }
        } else if ["txt", "text", "md", "markdown"].contains(suffix) {
            guard let text = try? TextDecoding.decode(data).text else { throw DocumentError.undecodableText }
            document = DocumentText(format: suffix.hasPrefix("m") ? .markdown : .text, pages: [text])
            guard document.visibleCharacters > 0 else { throw DocumentError.empty }
        } else {
            throw DocumentError.unsupportedFormat(fileName.isEmpty ? "the file" : (fileName as NSString).lastPathComponent)
        }
        return document
    }
}
