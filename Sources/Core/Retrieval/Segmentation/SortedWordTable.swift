/// Words with a value each, sorted by their UTF-8 bytes and found by binary search: a table that can live in a
/// compiled file's pages (jieba's IDF for the words its dictionary lacks), where a dictionary of strings would be heap.
struct SortedWordTable: Sendable {
    /// The words' UTF-8, one after another.
    private let bytes: TableArray<UInt8>
    /// Where each word starts in `bytes`, and where the last one ends.
    private let offsets: TableArray<UInt32>
    private let values: TableArray<Double>

    /// The table of `entries` (a later duplicate wins, as in a dictionary built from them in order).
    init(_ entries: [String: Double]) {
        let sorted = entries.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        var bytes: [UInt8] = []
        var offsets: [UInt32] = [0]
        for entry in sorted {
            bytes += entry.key.utf8
            offsets.append(UInt32(bytes.count))
        }
        self.bytes = TableArray(bytes)
        self.offsets = TableArray(offsets)
        self.values = TableArray(sorted.map(\.value))
    }

    /// The table in three sections (bytes, offsets, values) as ``sections`` wrote them; nil when they disagree.
    init?(sections: ArraySlice<TableSection>) {
        guard sections.count == 3, let bytes = sections[sections.startIndex].array(of: UInt8.self),
            let offsets = sections[sections.startIndex + 1].array(of: UInt32.self),
            let values = sections[sections.startIndex + 2].array(of: Double.self),
            offsets.count == values.count + 1, offsets.first == 0, offsets.last.map(Int.init) == bytes.count
        else { return nil }
        self.bytes = bytes
        self.offsets = offsets
        self.values = values
    }

    /// Bytes, offsets and values, as a compiled file's sections.
    var sections: [[UInt8]] { [Array(bytes.rawBytes), Array(offsets.rawBytes), Array(values.rawBytes)] }

    /// The value of `word`, nil when the table lacks it.
    func value(of word: String) -> Double? {
        var word = word
        return word.withUTF8 { wanted -> Double? in
            var low = 0, high = values.count
            while low < high {
                let middle = (low + high) / 2
                let start = Int(offsets[middle]), end = Int(offsets[middle + 1])
                let found = bytes[start..<end]
                if found.elementsEqual(wanted) { return values[middle] }
                if found.lexicographicallyPrecedes(wanted) { low = middle + 1 } else { high = middle }
            }
            return nil
        }
    }
}
