/// Per-term maxima over fixed ranges of document numbers, the bounds block-max pruning sums, one byte per block
/// (rounded up, so a bound never falls below the weight it stands for). Only terms with long postings keep a table:
/// a query walks a shorter list to find its maxima, which costs less than reading a table.
struct BlockMaxTables: Sendable {
    /// Documents per block: 1 << shift. Small blocks give tight bounds; each costs a bound per query term.
    static let shift = 5
    static var blockSize: Int { 1 << shift }

    /// Blocks covering the corpus.
    let blockCount: Int
    /// Per term, the index of its table, or -1 when its postings are too short to keep one.
    let slots: [Int32]
    /// Table t's maxima: quantised[t·blockCount + b] × scales[t] ≥ the heaviest weight of the term in block b.
    let quantised: [UInt8]
    let scales: [Float]

    /// A term keeps a table when its postings are at least this fraction of the block count: walking a list costs
    /// about eight times as much per posting as reading a byte of a table.
    static let minimumPostingsPerBlock = 0.5

    init(documentCount: Int, offsets: [Int32], documents: [Int32], weights: [Float]) {
        let blockCount = (documentCount + Self.blockSize - 1) >> Self.shift
        self.blockCount = blockCount
        var slots = [Int32](repeating: -1, count: max(0, offsets.count - 1))
        var quantised: [UInt8] = []
        var scales: [Float] = []
        let minimum = max(1, Int(Double(blockCount) * Self.minimumPostingsPerBlock))
        var maxima = [Float](repeating: 0, count: blockCount)
        for term in slots.indices {
            let start = Int(offsets[term]), end = Int(offsets[term + 1])
            guard end - start >= minimum else { continue }
            slots[term] = Int32(scales.count)
            for block in maxima.indices { maxima[block] = 0 }
            for posting in start..<end {
                let block = Int(documents[posting]) >> Self.shift
                maxima[block] = max(maxima[block], weights[posting])
            }
            let heaviest = maxima.max() ?? 0
            let scale = heaviest > 0 ? heaviest / 255 : 1
            scales.append(scale)
            for maximum in maxima {
                var level = min(255, (maximum / scale).rounded(.up))
                while level < 255, level * scale < maximum { level += 1 }
                // At the top level, 255 × scale may round a hair below the heaviest weight: far inside the
                // search's slack.
                quantised.append(UInt8(level))
            }
        }
        self.slots = slots
        self.quantised = quantised
        self.scales = scales
    }

    /// Bytes the tables hold.
    var bytes: Int { quantised.count + scales.count * MemoryLayout<Float>.stride + slots.count * MemoryLayout<Int32>.stride }
}
