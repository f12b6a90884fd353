import Foundation

/// jieba's character-tagging HMM (states B, M, E, S) for runs of characters the dictionary does not cover.
struct JiebaHMM: Sendable {
    /// State indices in the order B, E, M, S, so comparing indices compares the letters as Python does.
    static let b = 0, e = 1, m = 2, s = 3
    static let minFloat = -3.14e100
    /// Which states may precede each state (jieba's PrevStatus), indexed by state.
    static let previous: [[Int]] = [[e, s], [b, m], [m, b], [s, e]]

    var start = [Double](repeating: minFloat, count: 4)
    var transition = [[Double]](repeating: [Double](repeating: minFloat, count: 4), count: 4)
    /// Emission log-probabilities per character: B, E, M, S.
    var emission: [UInt32: SIMD4<Double>] = [:]

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
                transition[states[0]][states[1]] = value
            }
        }
        for (number, line) in try String(contentsOf: emissions, encoding: .utf8).split(separator: "\n").enumerated() {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == 3, let state = fields[0].first.flatMap({ stateIndex[$0] }),
                let scalar = fields[1].unicodeScalars.first, let value = Double(fields[2])
            else {
                throw SegmentationDataError(file: emissions.path, line: number + 1, reason: "malformed")
            }
            var row = emission[scalar.value] ?? SIMD4(repeating: Self.minFloat)
            row[state] = value
            emission[scalar.value] = row
        }
    }

    /// The most likely state sequence for `observations` (jieba's viterbi, ties broken the same way).
    func tag(_ observations: ArraySlice<UInt32>) -> [Int] {
        let count = observations.count
        guard count > 0 else { return [] }
        var scores = [SIMD4<Double>](repeating: SIMD4(repeating: 0), count: count)
        var back = [SIMD4<Int32>](repeating: SIMD4(repeating: 0), count: count)
        let first = emission[observations[observations.startIndex]] ?? SIMD4(repeating: Self.minFloat)
        for state in 0..<4 { scores[0][state] = start[state] + first[state] }
        for t in 1..<count {
            let emitted = emission[observations[observations.startIndex + t]] ?? SIMD4(repeating: Self.minFloat)
            for state in 0..<4 {
                var best = -Double.infinity
                var bestPrevious = -1
                for candidate in Self.previous[state] {
                    let score = scores[t - 1][candidate] + transition[candidate][state] + emitted[state]
                    // Python's max over (score, state) tuples: a tie goes to the later letter.
                    if score > best || (score == best && candidate > bestPrevious) {
                        best = score
                        bestPrevious = candidate
                    }
                }
                scores[t][state] = best
                back[t][state] = Int32(bestPrevious)
            }
        }
        var state = scores[count - 1][Self.s] >= scores[count - 1][Self.e] ? Self.s : Self.e
        var path = [Int](repeating: 0, count: count)
        for t in stride(from: count - 1, through: 0, by: -1) {
            path[t] = state
            state = Int(back[t][state])
        }
        return path
    }
}
