import CMuPDF
import Foundation
import VividCrowdCore

/// Reads PDF text by page with MuPDF (through the `CMuPDF` shim, which turns MuPDF's longjmp errors into codes).
public struct MuPDFTextReader: PDFTextReader {
    public init() {}

    public func pages(of data: Data, limits: DocumentLimits) throws -> [String] {
        // Only the status is used: MuPDF's own messages name internals no user can act on.
        var status: Int32 = 0
        let opened = data.withUnsafeBytes { bytes in
            vc_pdf_open(bytes.bindMemory(to: UInt8.self).baseAddress, bytes.count, &status, nil, 0)
        }
        guard let document = opened else {
            throw status == Int32(VC_PDF_ENCRYPTED.rawValue) ? DocumentError.encrypted : DocumentError.corrupt
        }
        defer { vc_pdf_close(document) }
        let count = Int(vc_pdf_page_count(document))
        // A hostile page tree can claim any /Count; MuPDF's int then wraps below zero (found by fuzzing).
        guard count >= 0 else { throw DocumentError.corrupt }
        guard count <= limits.maximumPages else { throw DocumentError.tooManyPages(count, limit: limits.maximumPages) }
        var pages: [String] = []
        pages.reserveCapacity(count)
        for index in 0..<count {
            var length = 0
            guard let text = vc_pdf_page_text(document, Int32(index), &length, &status, nil, 0) else {
                throw DocumentError.unreadablePage(index + 1)
            }
            defer { vc_pdf_free_text(text) }
            let bytes = UnsafeRawBufferPointer(start: text, count: length)
            pages.append(String(decoding: bytes, as: UTF8.self))
        }
        return pages
    }
}
