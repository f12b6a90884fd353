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

    /// `text` in a legacy encoding such as "GB18030", for tools and tests that need such files.
    public static func encode(_ text: String, as encoding: String) -> Data? {
        transcode(Array(text.utf8), from: "UTF-8", to: encoding).map { Data($0) }
    }

    static func convert(_ data: Data, from encoding: String) -> String? {
        transcode(Array(data), from: encoding, to: "UTF-8").flatMap { String(validating: $0, as: UTF8.self) }
    }

    /// Converts bytes between encodings with glibc's iconv; nil when they are not valid in `source`.
    private static func transcode(_ bytes: [UInt8], from source: String, to target: String) -> [UInt8]? {
        let converter = iconv_open(target, source)
        guard converter != iconv_t(bitPattern: -1) else { return nil }
        defer { iconv_close(converter) }
        var input = bytes.map { CChar(bitPattern: $0) }
        var output = [CChar](repeating: 0, count: bytes.count * 4 + 16)
        let written: Int? = input.withUnsafeMutableBufferPointer { inputBuffer in
            output.withUnsafeMutableBufferPointer { outputBuffer in
                var inPointer: UnsafeMutablePointer<CChar>? = inputBuffer.baseAddress
                var inLeft = inputBuffer.count
                var outPointer: UnsafeMutablePointer<CChar>? = outputBuffer.baseAddress
                var outLeft = outputBuffer.count
                guard iconv(converter, &inPointer, &inLeft, &outPointer, &outLeft) != -1, inLeft == 0 else { return nil }
                return outputBuffer.count - outLeft
            }
        }
        return written.map { output[..<$0].map { UInt8(bitPattern: $0) } }
    }
}

/// Bytes that are not text in any supported encoding.
public struct TextDecodingError: Error, CustomStringConvertible, Sendable {
    public var description: String {
        "the file is not text in a supported encoding (UTF-8, UTF-8 with BOM, UTF-16 with BOM, GB18030/GBK)"
    }
}

