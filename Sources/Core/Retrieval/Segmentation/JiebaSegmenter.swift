import Foundation

/// Chinese word segmentation compatible with jieba 0.42.1's default mode (`jieba.cut(text)`: accurate mode with
/// HMM): prefix-dictionary DAG, maximum log-probability route, Viterbi for runs of unknown characters.
///
/// Works on Unicode scalars, as Python strings do, so its token boundaries match jieba's exactly.
public struct JiebaSegmenter: Sendable {
    public let dictionary: JiebaDictionary
    let hmm: JiebaHMM

    /// Loads `dict.txt`, `hmm_start_trans.tsv` and `hmm_emit.tsv` from a directory (corpora/jieba), the dictionary
    /// through its compiled file in `tables`.
    public init(directory: URL, tables: CompiledTables = .standard) throws {
        dictionary = try JiebaDictionary(contentsOf: directory.appendingPathComponent("dict.txt"), tables: tables)
        hmm = try JiebaHMM(
            startAndTransitions: directory.appendingPathComponent("hmm_start_trans.tsv"),
            emissions: directory.appendingPathComponent("hmm_emit.tsv"))
    }

    /// The words of `text`, as `jieba.lcut(text)` returns them.
    public func cut(_ text: String) -> [String] {
        var text = text
        return text.withUTF8 { bytes in
            // Scalars and where each starts in the UTF-8, so that every word is copied out of the text's own bytes.
            var scalars: [UInt32] = []
            var offsets: [Int] = []
            scalars.reserveCapacity(bytes.count)
            offsets.reserveCapacity(bytes.count + 1)
            var index = 0
            while index < bytes.count {
                offsets.append(index)
                let lead = UInt32(bytes[index])
                if lead < 0x80 {
                    scalars.append(lead)
                    index += 1
                } else if lead < 0xE0 {
                    scalars.append((lead & 0x1F) << 6 | UInt32(bytes[index + 1] & 0x3F))
                    index += 2
                } else if lead < 0xF0 {
                    scalars.append((lead & 0x0F) << 12 | UInt32(bytes[index + 1] & 0x3F) << 6 | UInt32(bytes[index + 2] & 0x3F))
                    index += 3
                } else {
                    scalars.append((lead & 0x07) << 18 | UInt32(bytes[index + 1] & 0x3F) << 12
                        | UInt32(bytes[index + 2] & 0x3F) << 6 | UInt32(bytes[index + 3] & 0x3F))
                    index += 4
                }
            }
            offsets.append(bytes.count)
            return cutRanges(scalars).map { range in
                String(decoding: UnsafeBufferPointer(rebasing: bytes[offsets[range.lowerBound]..<offsets[range.upperBound]]),
                       as: UTF8.self)
            }
        }
    }

    /// Token boundaries of `scalars` as half-open ranges, in order, covering every scalar.
    public func cutRanges(_ scalars: [UInt32]) -> [Range<Int>] {
        var tokens: [Range<Int>] = []
        tokens.reserveCapacity(scalars.count / 2 + 1)
        var route = Route()
        var index = 0
        let count = scalars.count
        while index < count {
            if Self.isDictionaryBlockScalar(scalars[index]) {
                var end = index + 1
                while end < count, Self.isDictionaryBlockScalar(scalars[end]) { end += 1 }
                cutBlock(scalars, index..<end, route: &route, into: &tokens)
                index = end
            } else if scalars[index] == 0x0D, index + 1 < count, scalars[index + 1] == 0x0A {
                tokens.append(index..<index + 2)
                index += 2
            } else {
                // Outside dictionary blocks jieba yields whitespace and every other character one by one.
                tokens.append(index..<index + 1)
                index += 1
            }
        }
        return tokens
    }

    /// The best route's buffers, kept across the blocks of one text.
    private struct Route {
        /// score[i]: best log-probability from position i to the end of the block.
        var score: [Double] = []
        /// end[i]: the last position of the first word on that route.
        var end: [Int] = []
    }

    /// The text of `scalars`, encoded straight into the string's UTF-8 (a value that is not a scalar becomes U+FFFD).
    static func string(_ scalars: ArraySlice<UInt32>) -> String {
        String(unsafeUninitializedCapacity: scalars.count * 4) { utf8 in
            var count = 0
            for value in scalars {
                let scalar = Unicode.Scalar(value) ?? "\u{FFFD}"
                for byte in UTF8.encode(scalar)! {
                    utf8[count] = byte
                    count += 1
                }
            }
            return count
        }
    }

    /// jieba's re_han_default: [\u4E00-\u9FD5a-zA-Z0-9+#&\._%\-]
    @inline(__always)
    static func isDictionaryBlockScalar(_ scalar: UInt32) -> Bool {
        switch scalar {
        case 0x4E00...0x9FD5, 0x61...0x7A, 0x41...0x5A, 0x30...0x39: return true
        case 0x2B, 0x23, 0x26, 0x2E, 0x5F, 0x25, 0x2D: return true
        default: return false
        }
    }

    /// One block: best route over the prefix dictionary's words, then unknown runs through the HMM (jieba's
    /// __cut_DAG). The route runs right to left, so each start's words are walked in the trie and scored at once,
    /// without building the DAG: the same candidates in the same order, so the same ties.
    private func cutBlock(_ scalars: [UInt32], _ block: Range<Int>, route: inout Route, into tokens: inout [Range<Int>]) {
        let start = block.lowerBound
        let count = block.count
        if route.score.count < count + 1 {
            route.score = [Double](repeating: 0, count: count + 1)
            route.end = [Int](repeating: 0, count: count + 1)
        }
        let trie = dictionary.trie
        let logTotal = dictionary.logTotal
        route.score.withUnsafeMutableBufferPointer { routeScore in
            route.end.withUnsafeMutableBufferPointer { routeEnd in
                scalars.withUnsafeBufferPointer { scalars in
                    dictionary.logFrequencies.withUnsafeBufferPointer { logFrequencies in
                        routeScore[count] = 0
                        let rootEntry = trie.entry(DoubleArrayTrie.root)
                        for index in stride(from: count - 1, through: 0, by: -1) {
                            var best = -Double.infinity
                            var bestEnd = index
                            var node = trie.child(of: DoubleArrayTrie.root, entry: rootEntry, scalars[start + index])
                            var i = index
                            while node != DoubleArrayTrie.absent {
                                // The entry that proved the step holds the node's value and the next step's base.
                                let entry = trie.entry(node)
                                let code = Int(DoubleArrayTrie.value(entry))
                                if code != 0 {
                                    let score = logFrequencies[code] - logTotal + routeScore[i + 1]
                                    if score > best || (score == best && i > bestEnd) {
                                        best = score
                                        bestEnd = i
                                    }
                                }
                                i += 1
                                guard i < count else { break }
                                node = trie.child(of: node, entry: entry, scalars[start + i])
                            }
                            if best == -.infinity {
                                // No word starts here: the character alone, counted once (jieba's `or 1`).
                                best = 0 - logTotal + routeScore[index + 1]
                                bestEnd = index
                            }
                            routeScore[index] = best
                            routeEnd[index] = bestEnd
                        }
                    }
                }
            }
        }
        let routeEnd = route.end

        var x = 0
        var bufferStart = -1
        while x < count {
            let y = routeEnd[x] + 1
            if y - x == 1 {
                if bufferStart < 0 { bufferStart = x }
            } else {
                if bufferStart >= 0 {
                    flushBuffer(scalars, start + bufferStart..<start + x, into: &tokens)
                    bufferStart = -1
                }
                tokens.append(start + x..<start + y)
            }
            x = y
        }
        if bufferStart >= 0 { flushBuffer(scalars, start + bufferStart..<start + count, into: &tokens) }
    }

    /// A run of single characters: alone as is, a known word split into characters, else the HMM decides.
    private func flushBuffer(_ scalars: [UInt32], _ buffer: Range<Int>, into tokens: inout [Range<Int>]) {
        if buffer.count == 1 {
            tokens.append(buffer)
            return
        }
        let node = dictionary.trie.node(for: scalars[buffer])
        if node != DoubleArrayTrie.absent, dictionary.trie.value(node) != 0 {
            for index in buffer { tokens.append(index..<index + 1) }
        } else {
            cutUnknown(scalars, buffer, into: &tokens)
        }
    }

    /// jieba's finalseg.cut: HMM over CJK runs, regex pieces for the rest.
    private func cutUnknown(_ scalars: [UInt32], _ range: Range<Int>, into tokens: inout [Range<Int>]) {
        var index = range.lowerBound
        while index < range.upperBound {
            if Self.isHan(scalars[index]) {
                var end = index + 1
                while end < range.upperBound, Self.isHan(scalars[end]) { end += 1 }
                tagWithHMM(scalars, index..<end, into: &tokens)
                index = end
            } else {
                var end = index + 1
                while end < range.upperBound, !Self.isHan(scalars[end]) { end += 1 }
                splitNonHan(scalars, index..<end, into: &tokens)
                index = end
            }
        }
    }

    private func tagWithHMM(_ scalars: [UInt32], _ run: Range<Int>, into tokens: inout [Range<Int>]) {
        withUnsafeTemporaryAllocation(of: Int8.self, capacity: run.count) { states in
            hmm.tag(scalars[run], into: states)
            var begin = 0
            var next = 0
            for offset in 0..<run.count {
                switch Int(states[offset]) {
                case JiebaHMM.b: begin = offset
                case JiebaHMM.e:
                    tokens.append(run.lowerBound + begin..<run.lowerBound + offset + 1)
                    next = offset + 1
                case JiebaHMM.s:
                    tokens.append(run.lowerBound + offset..<run.lowerBound + offset + 1)
                    next = offset + 1
                default: break
                }
            }
            if next < run.count { tokens.append(run.lowerBound + next..<run.upperBound) }
        }
    }

    /// re_skip = ([a-zA-Z0-9]+(?:\.\d+)?%?) split: matches and the text between them, non-empty pieces only.
    private func splitNonHan(_ scalars: [UInt32], _ run: Range<Int>, into tokens: inout [Range<Int>]) {
        var index = run.lowerBound
        var otherStart = index
        while index < run.upperBound {
            guard Self.isASCIIAlphanumeric(scalars[index]) else {
                index += 1
                continue
            }
            if otherStart < index { tokens.append(otherStart..<index) }
            var end = index + 1
            while end < run.upperBound, Self.isASCIIAlphanumeric(scalars[end]) { end += 1 }
            if end + 1 < run.upperBound, scalars[end] == 0x2E, Self.isDecimalDigit(scalars[end + 1]) {
                end += 2
                while end < run.upperBound, Self.isDecimalDigit(scalars[end]) { end += 1 }
            }
            if end < run.upperBound, scalars[end] == 0x25 { end += 1 }
            tokens.append(index..<end)
            index = end
            otherStart = end
        }
        if otherStart < run.upperBound { tokens.append(otherStart..<run.upperBound) }
    }

    @inline(__always)
    static func isHan(_ scalar: UInt32) -> Bool { scalar >= 0x4E00 && scalar <= 0x9FD5 }

    @inline(__always)
    static func isASCIIAlphanumeric(_ scalar: UInt32) -> Bool {
        (scalar >= 0x30 && scalar <= 0x39) || (scalar >= 0x41 && scalar <= 0x5A) || (scalar >= 0x61 && scalar <= 0x7A)
    }

    /// Python's \d: any Unicode decimal digit.
    static func isDecimalDigit(_ scalar: UInt32) -> Bool {
        Unicode.Scalar(scalar)?.properties.numericType == .decimal
    }
}
