import Foundation

/// Folds traditional Chinese characters to simplified ones, character by character (OpenCC's `TSCharacters.txt`),
/// so a question in one script matches a document in the other, and jieba's simplified dictionary segments both.
public struct ChineseScriptFolding: Sendable {
    /// Traditional scalar → simplified scalar; characters with several simplified forms take the first.
    let map: [UInt32: UInt32]

    public init(map: [UInt32: UInt32]) { self.map = map }

    /// Reads OpenCC's `TSCharacters.txt` (lines `傳<TAB>传`, `#` comments) from `directory`.
    public init(directory: URL) throws {
        let file = directory.appendingPathComponent("TSCharacters.txt")
        let text: String
        do {
            text = try String(contentsOf: file, encoding: .utf8)
        } catch {
            throw CommandFailure("\(file.path) cannot be read: the OpenCC character table folds traditional Chinese")
        }
        var map: [UInt32: UInt32] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let fields = line.split(separator: "\t")
            guard fields.count == 2, let from = fields[0].unicodeScalars.first, fields[0].unicodeScalars.count == 1,
                let to = fields[1].split(separator: " ").first?.unicodeScalars, to.count == 1
            else { continue }
            map[from.value] = to.first!.value
        }
        self.map = map
    }

    /// The scalar in simplified script (itself when it has no traditional form).
    @inline(__always)
    public func fold(_ scalar: UInt32) -> UInt32 { map[scalar] ?? scalar }

    /// `text` with every traditional character folded to its simplified form.
    public func folded(_ text: String) -> String {
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars { result.append(Unicode.Scalar(fold(scalar.value)) ?? scalar) }
        return String(result)
    }
}
