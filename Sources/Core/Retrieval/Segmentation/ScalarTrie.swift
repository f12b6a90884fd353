/// A prefix trie over Unicode scalars with one value per node, stored as an open-addressing hash table of
/// (parent node, scalar) → child node: compact, and one probe per character when walking a word.
struct ScalarTrie: Sendable {
    static let root: Int32 = 0
    static let absent: Int32 = -1

    private var keys: [UInt64]
    private var children: [Int32]
    private var mask: Int
    private(set) var values: [Int64] = [0]
    private var occupied = 0

    init(expectedNodes: Int = 1 << 16) {
        var capacity = 1
        while capacity < expectedNodes * 2 { capacity <<= 1 }
        keys = [UInt64](repeating: .max, count: capacity)
        children = [Int32](repeating: Self.absent, count: capacity)
        mask = capacity - 1
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
            let found = keys[index]
            if found == wanted { return children[index] }
            if found == .max { return Self.absent }
            index = (index + 1) & mask
        }
    }

    /// The node for `scalars`, creating missing nodes along the way.
    mutating func insert<S: Sequence<UInt32>>(_ scalars: S) -> Int32 {
        var node = Self.root
        for scalar in scalars {
            let existing = child(node, scalar)
            if existing != Self.absent {
                node = existing
                continue
            }
            if (occupied + 1) * 2 > keys.count { grow() }
            let created = Int32(values.count)
            values.append(0)
            let wanted = Self.key(node, scalar)
            var index = slot(for: wanted)
            while keys[index] != .max { index = (index + 1) & mask }
            keys[index] = wanted
            children[index] = created
            occupied += 1
            node = created
        }
        return node
    }

    mutating func setValue(_ value: Int64, at node: Int32) { values[Int(node)] = value }

    /// The node reached by walking `scalars` from the root, or `absent`.
    func node<C: Collection<UInt32>>(for scalars: C) -> Int32 {
        var node = Self.root
        for scalar in scalars {
            node = child(node, scalar)
            if node == Self.absent { return Self.absent }
        }
        return node
    }

    private mutating func grow() {
        let oldKeys = keys
        let oldChildren = children
        keys = [UInt64](repeating: .max, count: oldKeys.count * 2)
        children = [Int32](repeating: Self.absent, count: oldKeys.count * 2)
        mask = keys.count - 1
        for (key, child) in zip(oldKeys, oldChildren) where key != .max {
            var index = slot(for: key)
            while keys[index] != .max { index = (index + 1) & mask }
            keys[index] = key
            children[index] = child
        }
    }
}
