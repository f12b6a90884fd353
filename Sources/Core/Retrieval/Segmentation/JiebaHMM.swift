import Foundation

/// jieba's character-tagging HMM (states B, M, E, S) for runs of characters the dictionary does not cover.
struct JiebaHMM: Sendable {
    /// State indices in the order B, E, M, S, so comparing indices compares the letters as Python does.
    static let b = 0, e = 1, m = 2, s = 3
    static let minFloat = -3.14e100

    var start = [Double](repeating: minFloat, count: 4)
    /// transition[from * 4 + to].
    var transition = [Double](repeating: minFloat, count: 16)
    /// Emission log-probabilities, four per row (B, E, M, S); a character's row comes from `hanRows` for the CJK
    /// unified ideographs (read directly) and from `otherRows` for the rest.
    private var emissionTable: [Double] = []
    private var hanRows = [Int32](repeating: -1, count: 0x9FFF - 0x4E00 + 1)
    private var otherRows: [UInt32: Int32] = [:]

    init(startAndTransitions: URL, emissions: URL) throws {
        let stateIndex: [Character: Int] = ["B": Self.b, "E": Self.e, "M": Self.m, "S": Self.s]
        for (number, line) in try String(contentsOf: startAndTransitions, encoding: .utf8).split(separator: "\n")
            .enumerated()
        {
            let fields = line.split(separator: "\t")
            guard fields.count == 3, let value = Double(fields[2]) else {
                throw SegmentationDataError(file: startAndTransitions.path, line: number + 1, reason: "malformed")
            }
            let states = fields[1].compactMap { stateIndex[$0] }
            if fields[0] == "start", states.count == 1 {
                start[states[0]] = value
            } else if fields[0] == "trans", states.count == 2 {
                transition[states[0] * 4 + states[1]] = value
            }
        }
        for (number, line) in try String(contentsOf: emissions, encoding: .utf8).split(separator: "\n").enumerated() {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == 3, let state = fields[0].first.flatMap({ stateIndex[$0] }),
                let scalar = fields[1].unicodeScalars.first, let value = Double(fields[2])
            else {
                throw SegmentationDataError(file: emissions.path, line: number + 1, reason: "malformed")
            }
            var row = self.row(of: scalar.value)
            if row < 0 {
                row = Int32(emissionTable.count / 4)
                emissionTable += [Double](repeating: Self.minFloat, count: 4)
                let offset = Int(scalar.value) - 0x4E00
                if offset >= 0, offset < hanRows.count { hanRows[offset] = row } else { otherRows[scalar.value] = row }
            }
            emissionTable[Int(row) * 4 + state] = value
        }
        // Grown by appending, the table kept up to twice its size in spare capacity; a copy holds only its rows.
        emissionTable = emissionTable.withUnsafeBufferPointer { Array($0) }
    }

    /// The emission row of a character, or -1.
    @inline(__always)
    private func row(of scalar: UInt32) -> Int32 {
        let offset = Int(scalar) - 0x4E00
        if offset >= 0, offset < hanRows.count { return hanRows[offset] }
        return otherRows[scalar] ?? -1
    }

    /// A character's emission log-probability in `state` (jieba's MIN_FLOAT when it has none).
    @inline(__always)
    private func emission(_ scalar: UInt32, _ state: Int) -> Double {
        let row = row(of: scalar)
        return row < 0 ? Self.minFloat : emissionTable[Int(row) * 4 + state]
    }

    /// The most likely state sequence for `observations` (jieba's viterbi, ties broken the same way), written into
    /// `path` (one state per observation). Scratch lives on the stack: runs are short, and allocating arrays here
    /// cost more than the tagging (each allocation looks up the array's generic metadata under a lock).
    func tag(_ observations: ArraySlice<UInt32>, into path: UnsafeMutableBufferPointer<Int8>) {
        let count = observations.count
        guard count > 0 else { return }
        // scores[t * 4 + state], back[t * 4 + state]: flat buffers of plain numbers.
        withUnsafeTemporaryAllocation(of: Double.self, capacity: count * 4) { scores in
            withUnsafeTemporaryAllocation(of: Int8.self, capacity: count * 4) { back in
                let first = observations[observations.startIndex]
                for state in 0..<4 { scores[state] = start[state] + emission(first, state) }
                for t in 1..<count {
                    let observation = observations[observations.startIndex + t]
                    for state in 0..<4 {
                        let emitted = emission(observation, state)
                        let (candidate, other) = Self.previousStates(of: state)
                        var best = scores[(t - 1) * 4 + candidate] + transition[candidate * 4 + state] + emitted
                        var bestPrevious = candidate
                        let score = scores[(t - 1) * 4 + other] + transition[other * 4 + state] + emitted
                        // Python's max over (score, state) tuples: a tie goes to the later letter.
                        if score > best || (score == best && other > bestPrevious) {
                            best = score
                            bestPrevious = other
                        }
                        scores[t * 4 + state] = best
                        back[t * 4 + state] = Int8(bestPrevious)
                    }
                }
                let last = (count - 1) * 4
                var state = scores[last + Self.s] >= scores[last + Self.e] ? Self.s : Self.e
                for t in stride(from: count - 1, through: 0, by: -1) {
                    path[t] = Int8(state)
                    state = Int(back[t * 4 + state])
                }
            }
        }
    }

    /// Which states may precede `state` (jieba's PrevStatus), in its order.
    @inline(__always)
    private static func previousStates(of state: Int) -> (Int, Int) {
        switch state {
        case b: return (e, s)
        case e: return (b, m)
        case m: return (m, b)
        default: return (s, e)
        }
    }
}
