import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Decodes uploaded text files: UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030 (a superset of GBK).
public enum TextDecoding {
    /// The encodings `decode` can report.
    public enum Detected: String, Sendable { case utf8 = "UTF-8", utf16 = "UTF-16", gb18030 = "GB18030" }

    /// The text of `data` and the encoding it was in; throws when it is none of them.
    public static func decode(_ data: Data) throws -> (text: String, encoding: Detected) {
        if data.starts(with: [0xEF, 0xBB, 0xBF]), let text = String(validating: data.dropFirst(3), as: UTF8.self) {
            return (text, .utf8)
        }
        if data.starts(with: [0xFF, 0xFE]) || data.starts(with: [0xFE, 0xFF]),
            let text = String(data: data, encoding: .utf16)
        {
            return (text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text, .utf16)
        }
        if let text = String(validating: data, as: UTF8.self) { return (text, .utf8) }
        if let text = convert(data, from: "GB18030") { return (text, .gb18030) }
        throw TextDecodingError()
    }

    /// Converts with glibc's iconv; nil when the bytes are not valid in `encoding`.
    static func convert(_ data: Data, from encoding: String) -> String? {
        let converter = iconv_open("UTF-8", encoding)
        guard converter != iconv_t(bitPattern: -1) else { return nil }
        defer { iconv_close(converter) }
        var input = [CChar](repeating: 0, count: data.count)
        data.withUnsafeBytes { raw in
            for (index, byte) in raw.enumerated() { input[index] = CChar(bitPattern: byte) }
        }
        var output = [CChar](repeating: 0, count: data.count * 4 + 16)
        let converted: Int? = input.withUnsafeMutableBufferPointer { inputBuffer in
            output.withUnsafeMutableBufferPointer { outputBuffer in
                var inPointer: UnsafeMutablePointer<CChar>? = inputBuffer.baseAddress
                var inLeft = inputBuffer.count
                var outPointer: UnsafeMutablePointer<CChar>? = outputBuffer.baseAddress
                var outLeft = outputBuffer.count
                let result = iconv(converter, &inPointer, &inLeft, &outPointer, &outLeft)
                guard result != -1, inLeft == 0 else { return nil }
                return outputBuffer.count - outLeft
            }
        }
        guard let converted else { return nil }
        return String(validating: output[..<converted].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Bytes that are not text in any supported encoding.
public struct TextDecodingError: Error, CustomStringConvertible, Sendable {
    public var description: String {
        "the file is not text in a supported encoding (UTF-8, UTF-8 with BOM, UTF-16 with BOM, GB18030/GBK)"
    }
}
