/// A prefix trie over Unicode scalars with one small value per node (0 for none), stored as an open-addressing hash
/// table of (parent node, scalar) → child node: the structure words are inserted into while a dictionary loads, then
/// frozen into a ``DoubleArrayTrie`` for walking.
///
/// Each slot packs the whole edge into one `UInt64` — parent node (21 bits), scalar (21 bits), child node (21 bits) —
/// so a probe reads one word and the table costs 8 bytes a slot.
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
            node = created
        }
        return node
    }

    mutating func setValue(_ value: UInt32, at node: Int32) { values[Int(node)] = value }

    /// Number of nodes, the root included.
    var nodeCount: Int { values.count }

    /// Calls `body` with every edge: parent node, scalar, child node (in no particular order).
    func forEachEdge(_ body: (Int32, UInt32, Int32) -> Void) {
        for entry in slots where entry != Self.empty {
            body(Int32(truncatingIfNeeded: entry >> (2 * Self.childBits)),
                 UInt32(truncatingIfNeeded: (entry >> Self.childBits) & Self.childMask),
                 Int32(truncatingIfNeeded: entry & Self.childMask))
        }
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
