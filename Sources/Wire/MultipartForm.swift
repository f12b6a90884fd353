import Foundation

/// One part of a `multipart/form-data` body.
public struct MultipartPart: Sendable {
    public var name: String
    public var fileName: String?
    public var body: Data
}

/// Why a multipart body could not be read.
public struct MultipartError: Error, CustomStringConvertible {
    public var description: String
}

/// Reads `multipart/form-data` bodies (RFC 7578): the boundary from the content type, then each part's
/// Content-Disposition name and filename.
public enum MultipartForm {
    /// The boundary parameter of a multipart content type.
    public static func boundary(contentType: String?) throws -> String {
        guard let contentType, contentType.lowercased().hasPrefix("multipart/form-data") else {
            throw MultipartError(description: "expected a multipart/form-data upload with the file in a field named \"file\"")
        }
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2, pair[0].lowercased() == "boundary" {
                return pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
        }
        throw MultipartError(description: "the multipart content type has no boundary")
    }

    /// The parts of `body`.
    public static func parts(_ body: Data, boundary: String) throws -> [MultipartPart] {
        let delimiter = Data("--\(boundary)".utf8)
        let headerEnd = Data("\r\n\r\n".utf8)
        var parts: [MultipartPart] = []
        guard var cursor = body.range(of: delimiter)?.upperBound else {
            throw MultipartError(description: "the multipart body does not contain its boundary")
        }
        while true {
            // After a delimiter: "--" ends the body, CRLF starts a part.
            if body[cursor...].starts(with: Data("--".utf8)) { break }
            guard body[cursor...].starts(with: Data("\r\n".utf8)) else {
                throw MultipartError(description: "malformed multipart delimiter")
            }
            let partStart = cursor + 2
            guard let headersRange = body.range(of: headerEnd, in: partStart..<body.endIndex),
                let next = body.range(of: Data("\r\n".utf8) + delimiter, in: headersRange.upperBound..<body.endIndex)
            else { throw MultipartError(description: "a multipart part is not terminated by its boundary") }
            let headers = String(decoding: body[partStart..<headersRange.lowerBound], as: UTF8.self)
            var name: String?
            var fileName: String?
            for line in headers.components(separatedBy: "\r\n") where line.lowercased().hasPrefix("content-disposition:") {
                name = parameter("name", in: line)
                fileName = parameter("filename", in: line)
            }
            if let name {
                parts.append(MultipartPart(name: name, fileName: fileName, body: Data(body[headersRange.upperBound..<next.lowerBound])))
            }
            cursor = next.upperBound
        }
        return parts
    }

    /// A `key="value"` parameter of a header line; `filename*=UTF-8''…` is decoded too.
    private static func parameter(_ key: String, in line: String) -> String? {
        for piece in line.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if piece.lowercased().hasPrefix(key + "*=") {
                let value = piece.dropFirst(key.count + 2)
                let encoded = value.components(separatedBy: "''").last ?? String(value)
                return encoded.removingPercentEncoding ?? encoded
            }
            if piece.lowercased().hasPrefix(key + "=") {
                return String(piece.dropFirst(key.count + 1)).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
        }
        return nil
    }
}
