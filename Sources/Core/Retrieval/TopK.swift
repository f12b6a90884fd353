/// One scored document.
public struct ScoredDocument: Sendable, Hashable {
    public var document: Int
    public var score: Float

    public init(document: Int, score: Float) {
        self.document = document
        self.score = score
    }
}

/// Keeps the `k` highest scores seen, in a bounded min-heap; ties favour the lower document number.
struct TopKHeap {
    let capacity: Int
    private(set) var items: [ScoredDocument] = []

    init(capacity: Int) {
        self.capacity = max(0, capacity)
        items.reserveCapacity(self.capacity)
    }

    @inline(__always)
    private static func worse(_ a: ScoredDocument, _ b: ScoredDocument) -> Bool {
        a.score < b.score || (a.score == b.score && a.document > b.document)
    }

    /// The score a candidate must beat to enter a full heap.
    var threshold: Float { items.count < capacity ? -.infinity : items[0].score }

    @inline(__always)
    mutating func insert(_ document: Int, _ score: Float) {
        guard capacity > 0 else { return }
        let candidate = ScoredDocument(document: document, score: score)
        if items.count < capacity {
            items.append(candidate)
            siftUp(items.count - 1)
        } else if Self.worse(items[0], candidate) {
            items[0] = candidate
            siftDown(0)
        }
    }

    /// The kept documents, best first.
    func sorted() -> [ScoredDocument] {
        items.sorted { Self.worse($1, $0) }
    }

    private mutating func siftUp(_ index: Int) {
        var child = index
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.worse(items[child], items[parent]) else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ index: Int) {
        var parent = index
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < items.count, Self.worse(items[left], items[smallest]) { smallest = left }
            if right < items.count, Self.worse(items[right], items[smallest]) { smallest = right }
            if smallest == parent { return }
            items.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
