import Foundation

/// The lines of a UTF-8 data file (jieba's dictionary), read from its bytes one at a time: neither the
/// whole file as a String nor an array of its lines is held.
enum DataFileLines {
    /// Calls `body` with each non-empty line, stripped of surrounding whitespace as Python's `str.strip` does, and its
    /// 1-based number in the file.
    static func forEach(in data: Data, _ body: (_ number: Int, _ line: String) throws -> Void) throws {
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let bytes = raw.bindMemory(to: UInt8.self)
            var lineStart = 0, number = 0
            while lineStart < bytes.count {
                var lineEnd = lineStart
                while lineEnd < bytes.count, bytes[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
                number += 1
                let line = String(decoding: UnsafeBufferPointer(rebasing: bytes[lineStart..<lineEnd]), as: UTF8.self)
                    .trimmingCharacters(in: .whitespacesAndNewlines)
                lineStart = lineEnd + 1
                if !line.isEmpty { try body(number, line) }
            }
        }
    }
}
