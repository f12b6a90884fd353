import CVectorKernels

/// Exact top-k by block-max pruning over ranges of document numbers (after Mallia, Suel and Tonellotto's BMP):
/// each block's bound is the sum over the query's terms of their heaviest weight in it; the blocks with the highest
/// bounds are scored first, which sets a high k-th score at once, and then every block whose bound cannot reach the
/// k-th score is passed over. A block that stays is scored term by term into a small local array, in query order,
/// so each document's score is the very float exhaustive scoring sums.
struct BlockMaxSearch {
    let index: BM25Index
    /// The query's known terms in query order, repeats included.
    let occurrences: [Int32]
    /// The same terms once each, in order of first occurrence.
    let distinct: [Int32]
    let k: Int

    /// Relative slack on every bound, far above the rounding of a few dozen float additions.
    private static let slack: Float = 1e-5
    /// Blocks scored first, highest bound first.
    private static let seedCount = 16

    /// Where one query term's postings in a block are, found from a cursor over them (forwards while blocks come in
    /// order, from the start otherwise).
    private struct TermPostings {
        let begin: Int
        let end: Int
        var cursor: Int

        @inline(__always)
        mutating func range(of block: Int, documents: UnsafePointer<Int32>) -> Range<Int> {
            let low = Int32(truncatingIfNeeded: block << BlockMaxTables.shift)
            let high = Int32(truncatingIfNeeded: (block + 1) << BlockMaxTables.shift)
            if cursor > begin, documents[cursor - 1] >= low { cursor = begin }
            cursor = BlockMaxSearch.lowerBound(documents, from: cursor, to: end, target: low)
            let first = cursor
            while cursor < end, documents[cursor] < high { cursor += 1 }
            return first..<cursor
        }
    }

    func run() -> [ScoredDocument] {
        let tables = index.blockTables
        let blocks = tables.blockCount
        let slotOfOccurrence = occurrences.map { id in distinct.firstIndex(of: id)! }
        var heap = TopKHeap(capacity: k)

        index.postingDocuments.withUnsafeBufferPointer { documentBuffer in
            index.postingWeights.withUnsafeBufferPointer { weightBuffer in
                tables.quantised.withUnsafeBufferPointer { quantised in
                    let documents = documentBuffer.baseAddress!, weights = weightBuffer.baseAddress!
                    // Bounds: a table is added block by block; a short list is walked once.
                    let bounds = UnsafeMutablePointer<Float>.allocate(capacity: blocks)
                    bounds.initialize(repeating: 0, count: blocks)
                    defer { bounds.deallocate() }
                    var terms: [TermPostings] = []
                    for id in distinct {
                        let term = Int(id)
                        let repeats = Float(occurrences.reduce(0) { $0 + ($1 == id ? 1 : 0) })
                        let begin = Int(index.postingOffsets[term]), end = Int(index.postingOffsets[term + 1])
                        terms.append(TermPostings(begin: begin, end: end, cursor: begin))
                        let table = Int(tables.slots[term])
                        if table >= 0 {
                            let row = quantised.baseAddress! + table * blocks
                            let step = repeats * tables.scales[table]
                            for block in 0..<blocks { bounds[block] += step * Float(row[block]) }
                        } else {
                            var posting = begin
                            while posting < end {
                                let block = Int(documents[posting]) >> BlockMaxTables.shift
                                let limit = Int32(truncatingIfNeeded: (block + 1) << BlockMaxTables.shift)
                                var heaviest = weights[posting]
                                posting += 1
                                while posting < end, documents[posting] < limit {
                                    heaviest = max(heaviest, weights[posting])
                                    posting += 1
                                }
                                bounds[block] += repeats * heaviest
                            }
                        }
                    }

                    var seeds: [(bound: Float, block: Int)] = []
                    seeds.reserveCapacity(Self.seedCount + 1)
                    var seedBlock = -1
                    while true {
                        let floor = seeds.count == Self.seedCount ? seeds[0].bound.nextUp : .leastNonzeroMagnitude
                        seedBlock = vc_first_at_least_f32(bounds, seedBlock + 1, blocks, floor)
                        guard seedBlock < blocks else { break }
                        let bound = bounds[seedBlock]
                        seeds.insert((bound, seedBlock), at: seeds.firstIndex { $0.bound >= bound } ?? seeds.count)
                        if seeds.count > Self.seedCount { seeds.removeFirst() }
                    }

                    let size = BlockMaxTables.blockSize
                    let local = UnsafeMutablePointer<Float>.allocate(capacity: size)
                    defer { local.deallocate() }
                    func score(_ block: Int) {
                        let base = block << BlockMaxTables.shift
                        local.initialize(repeating: 0, count: size)
                        for slot in slotOfOccurrence {
                            for posting in terms[slot].range(of: block, documents: documents) {
                                local[Int(documents[posting]) - base] += weights[posting]
                            }
                        }
                        // A document counts once its score is positive and reaches the k-th (ties go to the
                        // lower document, as the heap decides).
                        var lane = vc_first_at_least_f32(local, 0, size, max(heap.threshold, .leastNonzeroMagnitude))
                        while lane < size {
                            heap.insert(base + lane, local[lane])
                            lane = vc_first_at_least_f32(local, lane + 1, size, max(heap.threshold, .leastNonzeroMagnitude))
                        }
                    }
                    for seed in seeds.reversed() {
                        score(seed.block)
                        bounds[seed.block] = 0
                    }
                    for slot in terms.indices { terms[slot].cursor = terms[slot].begin }
                    // The rest in order, passing over the blocks whose bound falls short of the k-th score.
                    var block = -1
                    while true {
                        block = vc_first_at_least_f32(bounds, block + 1, blocks,
                                                      max(heap.threshold / (1 + Self.slack), .leastNonzeroMagnitude))
                        guard block < blocks else { break }
                        score(block)
                    }
                }
            }
        }
        return heap.sorted()
    }

    /// The first posting at or after `from` whose document is at least `target` (galloping, then binary search).
    @inline(__always)
    static func lowerBound(_ documents: UnsafePointer<Int32>, from start: Int, to end: Int, target: Int32) -> Int {
        guard start < end, documents[start] < target else { return start }
        var low = start, step = 1
        var high = start + 1
        while high < end, documents[high] < target {
            low = high
            step <<= 1
            high = min(end, start + step)
        }
        // documents[low] < target ≤ documents[high] (or high == end)
        var (lo, hi) = (low + 1, high)
        while lo < hi {
            let middle = (lo + hi) / 2
            if documents[middle] < target { lo = middle + 1 } else { hi = middle }
        }
        return lo
    }
}
