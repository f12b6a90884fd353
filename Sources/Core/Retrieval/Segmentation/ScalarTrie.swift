/// A prefix trie over Unicode scalars with one small value per node (0 for none), stored as an open-addressing hash
/// table of (parent node, scalar) → child node: compact, and one probe per character when walking a word.
///
/// Each slot packs the whole edge into one `UInt64` — parent node (21 bits), scalar (21 bits), child node (21 bits) —
/// so a probe reads one word and the table costs 8 bytes a slot (jieba's dictionary: 498k nodes, 8 MB at a load of at
/// most one half once `compact()` has sized it).
struct ScalarTrie: Sendable {
    static let root: Int32 = 0
    static let absent: Int32 = -1
    /// Most nodes a trie holds: node numbers are 21 bits.
    static let capacity = 1 << 21

    private static let empty = UInt64.max
    private static let childBits: UInt64 = 21
    private static let childMask: UInt64 = (1 << 21) - 1

    private var slots: [UInt64]
    private var mask: Int
    private(set) var values: [UInt32] = [0]
    private var occupied = 0
    /// The root's children along the CJK unified ideographs, which start nearly every walk, read without hashing
    /// (filled by `compact()`; empty before).
    private var hanChildren: [Int32] = []
    private static let firstHan: UInt32 = 0x4E00
    private static let hanCount = 0x9FFF - 0x4E00 + 1

    init(expectedNodes: Int = 1 << 16) {
        let capacity = Self.tableSize(for: expectedNodes)
        slots = [UInt64](repeating: Self.empty, count: capacity)
        mask = capacity - 1
    }

    /// The smallest power of two that keeps `nodes` at a load of at most one half.
    private static func tableSize(for nodes: Int) -> Int {
        var capacity = 1
        while capacity < nodes * 2 { capacity <<= 1 }
        return capacity
    }

    @inline(__always)
    private static func key(_ node: Int32, _ scalar: UInt32) -> UInt64 {
        UInt64(UInt32(bitPattern: node)) << 21 | UInt64(scalar)
    }

    @inline(__always)
    private func slot(for key: UInt64) -> Int {
        // Fibonacci hashing spreads the sequential node numbers across the table.
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 20) & mask
    }

    /// The child of `node` along `scalar`, or `absent`.
    @inline(__always)
    func child(_ node: Int32, _ scalar: UInt32) -> Int32 {
        let wanted = Self.key(node, scalar)
        var index = slot(for: wanted)
        while true {
            let found = slots[index]
            if found == Self.empty { return Self.absent }
            if found >> Self.childBits == wanted { return Int32(truncatingIfNeeded: found & Self.childMask) }
            index = (index + 1) & mask
        }
    }

    /// The child of the root along `scalar`, or `absent`.
    @inline(__always)
    func rootChild(_ scalar: UInt32) -> Int32 {
        let offset = Int(truncatingIfNeeded: scalar &- Self.firstHan)
        if offset >= 0, offset < hanChildren.count { return hanChildren[offset] }
        return child(Self.root, scalar)
    }

    /// The node for `scalars`, creating missing nodes along the way; nil when the trie is full (`capacity` nodes) or
    /// a scalar is not Unicode.
    mutating func insert<S: Sequence<UInt32>>(_ scalars: S) -> Int32? {
        var node = Self.root
        for scalar in scalars {
            guard scalar <= 0x10FFFF else { return nil }
            let existing = child(node, scalar)
            if existing != Self.absent {
                node = existing
                continue
            }
            guard values.count < Self.capacity else { return nil }
            if (occupied + 1) * 2 > slots.count { rehash(to: slots.count * 2) }
            let created = Int32(values.count)
            values.append(0)
            let wanted = Self.key(node, scalar)
            var index = slot(for: wanted)
            while slots[index] != Self.empty { index = (index + 1) & mask }
            slots[index] = wanted << Self.childBits | UInt64(created)
            occupied += 1
            let hanOffset = Int(truncatingIfNeeded: scalar &- Self.firstHan)
            if node == Self.root, hanOffset >= 0, hanOffset < hanChildren.count { hanChildren[hanOffset] = created }
            node = created
        }
        return node
    }

    mutating func setValue(_ value: UInt32, at node: Int32) { values[Int(node)] = value }

    /// The node reached by walking `scalars` from the root, or `absent`.
    func node<C: Collection<UInt32>>(for scalars: C) -> Int32 {
        var node = Self.root
        for scalar in scalars {
            node = child(node, scalar)
            if node == Self.absent { return Self.absent }
        }
        return node
    }

    /// Number of nodes, the root included.
    var nodeCount: Int { values.count }

    /// Shrinks the table and the values to what the nodes need, once loading is done (the table was sized for a
    /// guess, and arrays grow by doubling).
    mutating func compact() {
        let fitting = Self.tableSize(for: occupied)
        if fitting < slots.count { rehash(to: fitting) }
        values = values.withUnsafeBufferPointer { Array($0) }
        hanChildren = (0..<Self.hanCount).map { child(Self.root, Self.firstHan + UInt32($0)) }
    }

    /// Renumbers the nodes (the root stays 0) so that those with the highest `priority` of their value come first:
    /// the values of the nodes a text reaches most then share a few cache lines instead of one line each.
    mutating func renumber(priority: (UInt32) -> Int64) {
        let count = values.count
        var order = Array(1..<count)
        order.sort { (priority(values[$0]), -$0) > (priority(values[$1]), -$1) }
        var renamed = [Int32](repeating: 0, count: count)
        for (position, old) in order.enumerated() { renamed[old] = Int32(position + 1) }
        var moved = [UInt64](repeating: Self.empty, count: slots.count)
        for entry in slots where entry != Self.empty {
            let parent = Int(entry >> (2 * Self.childBits))
            let scalar = UInt32(truncatingIfNeeded: (entry >> Self.childBits) & Self.childMask)
            let child = Int(entry & Self.childMask)
            let wanted = Self.key(renamed[parent], scalar)
            var index = slot(for: wanted)
            while moved[index] != Self.empty { index = (index + 1) & mask }
            moved[index] = wanted << Self.childBits | UInt64(UInt32(bitPattern: renamed[child]))
        }
        slots = moved
        var permuted = [UInt32](repeating: 0, count: count)
        for old in 0..<count { permuted[Int(renamed[old])] = values[old] }
        values = permuted
        hanChildren = (0..<Self.hanCount).map { child(Self.root, Self.firstHan + UInt32($0)) }
    }

    private mutating func rehash(to capacity: Int) {
        let old = slots
        slots = [UInt64](repeating: Self.empty, count: capacity)
        mask = capacity - 1
        for entry in old where entry != Self.empty {
            var index = slot(for: entry >> Self.childBits)
            while slots[index] != Self.empty { index = (index + 1) & mask }
            slots[index] = entry
        }
    }
}
