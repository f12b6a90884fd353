/// A frozen prefix trie over Unicode scalars as a double array: one cache line read per character when walking a word.
///
/// A node is a position in one array of `UInt64` entries, each packing the node's `base` (22 bits), its parent's
/// position (`check`, 22 bits) and its value (20 bits, 0 for none). The child of node `n` along a character of code
/// `c` sits at `base(n) + c` and is real when its `check` is `n`; so the read that finds a child also yields its value
/// and the base of the next step. Characters are numbered densely, the most frequent first, so that children pack.
///
/// Built from a loaded ``ScalarTrie`` once, then read from its compiled file's sections (the hash trie stays the
/// structure to insert into): the hash trie read two or three cache lines per step (probe, value, and a further probe
/// on a miss), which was most of segmentation's time.
struct DoubleArrayTrie: Sendable {
    static let root: Int32 = 0
    static let absent: Int32 = -1
    /// Most positions the array may hold: 22 bits.
    static let capacity = (1 << 22) - 1
    /// Largest value a node may hold: 20 bits.
    static let maximumValue = UInt32((1 << 20) - 1)

    /// How far before the highest used position a node with several children looks for room. Wide, because the trie
    /// is built once per machine (``CompiledTables``): jieba's array is 7.3 MB at 2^16 and 9.4 MB at 2^13, built in
    /// 2.3 s (release).
    private static let window = 1 << 16

    private static let fieldBits: UInt64 = 22
    private static let fieldMask: UInt64 = (1 << 22) - 1
    /// The `check` of a free position: no node has it as its position.
    private static let free = fieldMask

    private let entries: TableArray<UInt64>
    /// Codes of the scalars below `directCodes.count` (0: in no word); the rest are looked up in `otherCodes`.
    private let directCodes: TableArray<UInt16>
    private let otherCodes: [UInt32: UInt16]

    /// Positions in the array: every node's number is below it (the root included; free positions are no node).
    var nodeCount: Int { entries.count }

    /// Whether the array is a compiled file's pages.
    var isMapped: Bool { entries.isMapped }

    @inline(__always)
    static func check(_ entry: UInt64) -> Int { Int(truncatingIfNeeded: entry & fieldMask) }
    @inline(__always)
    static func base(_ entry: UInt64) -> Int { Int(truncatingIfNeeded: (entry >> fieldBits) & fieldMask) }
    /// The value an entry holds (0: none).
    @inline(__always)
    static func value(_ entry: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: entry >> (2 * fieldBits)) }

    /// The code of `scalar` (0 when no word holds it).
    @inline(__always)
    func code(_ scalar: UInt32) -> Int {
        if scalar < UInt32(directCodes.count) { return Int(directCodes[Int(scalar)]) }
        return Int(otherCodes[scalar] ?? 0)
    }

    /// The entry of `node`.
    @inline(__always)
    func entry(_ node: Int32) -> UInt64 { entries[Int(node)] }

    /// The child along `scalar` of the node at `position`, whose entry is `entry`: its position, or `absent`.
    @inline(__always)
    func child(of position: Int32, entry: UInt64, _ scalar: UInt32) -> Int32 {
        let code = code(scalar)
        guard code != 0 else { return Self.absent }
        let next = Self.base(entry) + code
        return Self.check(entries[next]) == Int(position) ? Int32(truncatingIfNeeded: next) : Self.absent
    }

    /// The child of `node` along `scalar`, or `absent`.
    @inline(__always)
    func child(_ node: Int32, _ scalar: UInt32) -> Int32 { child(of: node, entry: entries[Int(node)], scalar) }

    /// The value of `node` (0: none).
    @inline(__always)
    func value(_ node: Int32) -> UInt32 { Self.value(entries[Int(node)]) }

    /// The node reached by walking `scalars` from the root, or `absent`.
    func node<C: Collection<UInt32>>(for scalars: C) -> Int32 {
        var node = Self.root
        for scalar in scalars {
            node = child(node, scalar)
            if node == Self.absent { return Self.absent }
        }
        return node
    }

    /// The trie holding the same words and values as `trie`; nil when it does not fit (`capacity` positions, values
    /// above `maximumValue`, or more than 65,535 distinct characters).
    init?(_ trie: ScalarTrie) {
        // Edges grouped by parent, then characters numbered by how many edges carry them.
        var edgeCount = [Int32](repeating: 0, count: trie.nodeCount + 1)
        var scalarUse: [UInt32: Int] = [:]
        trie.forEachEdge { parent, scalar, _ in
            edgeCount[Int(parent) + 1] += 1
            scalarUse[scalar, default: 0] += 1
        }
        guard scalarUse.count < Int(UInt16.max) else { return nil }
        let alphabet = scalarUse.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map(\.key)
        var codeOf: [UInt32: UInt16] = [:]
        for (index, scalar) in alphabet.enumerated() { codeOf[scalar] = UInt16(index + 1) }
        var offsets = edgeCount
        for node in 0..<trie.nodeCount { offsets[node + 1] += offsets[node] }
        var children = [(code: UInt16, child: Int32)](repeating: (0, 0), count: Int(offsets[trie.nodeCount]))
        var fill = offsets
        trie.forEachEdge { parent, scalar, child in
            children[Int(fill[Int(parent)])] = (codeOf[scalar]!, child)
            fill[Int(parent)] += 1
        }

        // Breadth first: each node takes the lowest base whose children's positions are all free. `nextFree` finds
        // the first free position at or after one in near-constant time (a union-find over used runs, with path
        // halving): the root's children fill the first ~20k positions, which a linear scan crossed for every node.
        var entries = [UInt64](repeating: Self.free, count: max(1024, trie.nodeCount * 5 / 4))
        var skip = (0...entries.count).map { Int32($0) }
        func nextFree(_ start: Int) -> Int {
            var index = start
            while Int(skip[index]) != index {
                skip[index] = skip[Int(skip[index])]
                index = Int(skip[index])
            }
            return index
        }
        func isUsed(_ index: Int) -> Bool { Int(skip[index]) != index }
        skip[0] = 1
        var position = [Int32](repeating: -1, count: trie.nodeCount)
        position[0] = 0
        var queue: [Int32] = [ScalarTrie.root]
        queue.reserveCapacity(trie.nodeCount)
        var head = 0
        var highest = 0
        while head < queue.count {
            let node = queue[head]
            head += 1
            let own = Int(position[Int(node)])
            let range = Int(offsets[Int(node)])..<Int(offsets[Int(node) + 1])
            let value = trie.values[Int(node)]
            guard value <= Self.maximumValue else { return nil }
            guard !range.isEmpty else {
                entries[own] = UInt64(value) << (2 * Self.fieldBits) | (entries[own] & Self.fieldMask)
                continue
            }
            children[range].sort { $0.code < $1.code }
            let firstCode = Int(children[range.lowerBound].code)
            let lastCode = Int(children[range.upperBound - 1].code)
            // A lone child takes the first free position past its code, filling the holes others leave. Several
            // children rarely all find holes where the array is dense, and trying them there costs a pass over
            // every hole for every such node: they search only the last `window` positions.
            var candidate = range.count == 1 ? firstCode + 1 : max(firstCode + 1, highest - Self.window)
            var base = 0
            search: while true {
                candidate = nextFree(candidate)
                base = candidate - firstCode
                if base + lastCode >= entries.count {
                    guard base + lastCode < Self.capacity else { return nil }
                    let grown = max(entries.count * 2, base + lastCode + 1)
                    entries += [UInt64](repeating: Self.free, count: grown - entries.count)
                    // The old sentinel becomes a free position like the new ones.
                    skip += (skip.count...grown).map { Int32($0) }
                }
                for edge in children[range] where isUsed(base + Int(edge.code)) {
                    // Every base up to the one that puts this child on the next free position collides here too.
                    candidate = nextFree(base + Int(edge.code)) - Int(edge.code) + firstCode
                    continue search
                }
                break
            }
            entries[own] = UInt64(value) << (2 * Self.fieldBits) | UInt64(base) << Self.fieldBits
                | (entries[own] & Self.fieldMask)
            for edge in children[range] {
                let slot = base + Int(edge.code)
                skip[slot] = Int32(slot + 1)
                highest = max(highest, slot)
                entries[slot] = UInt64(own)
                position[Int(edge.child)] = Int32(slot)
                queue.append(edge.child)
            }
        }
        // Room for the largest code past the last base, so that a walk never reads outside the array.
        var end = entries.count
        while end > 1, !isUsed(end - 1) { end -= 1 }
        entries.removeSubrange(end...)
        var maximumBase = 0
        for entry in entries where Self.check(entry) != Self.check(Self.free) {
            maximumBase = max(maximumBase, Self.base(entry))
        }
        maximumBase = max(maximumBase, Self.base(entries[0]))
        let needed = maximumBase + alphabet.count + 1
        guard needed <= Self.capacity else { return nil }
        if needed > entries.count { entries += [UInt64](repeating: Self.free, count: needed - entries.count) }
        self.entries = TableArray(entries)

        let directLimit = 0xA000
        var direct = [UInt16](repeating: 0, count: directLimit)
        var other: [UInt32: UInt16] = [:]
        for (scalar, code) in codeOf {
            if scalar < UInt32(directLimit) { direct[Int(scalar)] = code } else { other[scalar] = code }
        }
        self.directCodes = TableArray(direct)
        self.otherCodes = other
    }

    /// The trie as a compiled table file's sections: entries, direct codes, other scalars, their codes.
    var sections: [[UInt8]] {
        let scalars = otherCodes.keys.sorted()
        return [
            Array(entries.rawBytes), Array(directCodes.rawBytes), scalars.tableBytes,
            scalars.map { otherCodes[$0]! }.tableBytes,
        ]
    }

    static let sectionCount = 4

    /// The trie in `sections` (as ``sections`` wrote them), the large tables left in the file; nil when they do not
    /// fit together.
    init?(sections: ArraySlice<TableSection>) {
        guard sections.count == Self.sectionCount,
            let entries = sections[sections.startIndex].array(of: UInt64.self),
            let direct = sections[sections.startIndex + 1].array(of: UInt16.self),
            let scalars = sections[sections.startIndex + 2].copied(of: UInt32.self),
            let codes = sections[sections.startIndex + 3].copied(of: UInt16.self), scalars.count == codes.count,
            !entries.isEmpty, entries.count <= Self.capacity
        else { return nil }
        var other: [UInt32: UInt16] = [:]
        for (scalar, code) in zip(scalars, codes) { other[scalar] = code }
        // The file's checksum vouches for the entries (checking every base would read the whole array in); this only
        // refuses tables of another alphabet.
        let largestCode = max(Int(direct.max() ?? 0), Int(codes.max() ?? 0))
        guard largestCode < entries.count else { return nil }
        self.entries = entries
        self.directCodes = direct
        self.otherCodes = other
    }
}
