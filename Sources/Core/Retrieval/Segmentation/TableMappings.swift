import Synchronization

/// The table files one ``CompiledTables`` has mapped, held weakly: a mapping goes when its last table does.
final class TableMappings: Sendable {
    private struct Entry {
        weak var memory: TableMemory?
    }

    private let entries = Mutex<[Entry]>([])

    func record(_ memory: TableMemory) {
        entries.withLock { entries in
            entries.removeAll { $0.memory == nil }
            entries.append(Entry(memory: memory))
        }
    }

    /// Hands every live mapping's resident pages back to the page cache.
    func releaseResidentPages() {
        let live = entries.withLock { $0.compactMap(\.memory) }
        for memory in live { memory.releaseResidentPages() }
    }
}
