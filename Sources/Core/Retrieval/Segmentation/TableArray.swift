#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The memory under one or more ``TableArray``s: an allocation of this process or a read-only mapping of a file.
///
/// A mapped table costs resident memory only for the pages a lookup touches, and those pages are the page cache's:
/// shared by every process that maps the same file and dropped by the kernel under pressure, never swapped.
final class TableMemory: @unchecked Sendable {
    /// Immutable once made; freed or unmapped when the last table over it goes.
    let bytes: UnsafeRawBufferPointer
    /// Whether the bytes are a file's pages rather than this process's heap.
    let isMapped: Bool

    private init(bytes: UnsafeRawBufferPointer, isMapped: Bool) {
        self.bytes = bytes
        self.isMapped = isMapped
    }

    /// A copy of `values` in memory of its own, exactly as large as they are.
    static func copying<Element: BitwiseCopyable>(_ values: [Element]) -> TableArray<Element> {
        let buffer = UnsafeMutableRawBufferPointer.allocate(
            byteCount: max(1, values.count * MemoryLayout<Element>.stride), alignment: 16)
        values.withUnsafeBytes { buffer.copyMemory(from: $0) }
        let memory = TableMemory(bytes: UnsafeRawBufferPointer(buffer), isMapped: false)
        return TableArray(memory: memory, byteOffset: 0, count: values.count)
    }

    /// `file` mapped read-only, or nil when it cannot be opened or mapped.
    static func mapping(_ path: String) -> TableMemory? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_size > 0 else { return nil }
        let size = Int(status.st_size)
        guard let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0), address != MAP_FAILED else {
            return nil
        }
        return TableMemory(bytes: UnsafeRawBufferPointer(start: address, count: size), isMapped: true)
    }

    /// Hands a mapping's resident pages back to the page cache: the process no longer counts them, and the next
    /// lookups read them from there again (minor faults, no disk read while the cache keeps them). Safe because
    /// the mapping is read-only, so no page of it was ever copied. Nothing for an allocation.
    func releaseResidentPages() {
        guard isMapped, let base = bytes.baseAddress, bytes.count > 0 else { return }
        _ = madvise(UnsafeMutableRawPointer(mutating: base), bytes.count, Int32(MADV_DONTNEED))
    }

    deinit {
        if isMapped {
            munmap(UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count)
        } else {
            UnsafeMutableRawBufferPointer(mutating: bytes).deallocate()
        }
    }
}

/// A read-only array of fixed-size values in a ``TableMemory``: a loaded table or a section of a mapped file.
struct TableArray<Element: BitwiseCopyable>: @unchecked Sendable, RandomAccessCollection {
    private let memory: TableMemory
    private let elements: UnsafeBufferPointer<Element>

    /// `count` elements starting `byteOffset` bytes into `memory`, which must be aligned for `Element`.
    init(memory: TableMemory, byteOffset: Int, count: Int) {
        precondition(byteOffset >= 0 && count >= 0 && byteOffset + count * MemoryLayout<Element>.stride <= memory.bytes.count)
        let start = memory.bytes.baseAddress.map { $0 + byteOffset }
        precondition(count == 0 || Int(bitPattern: start) % MemoryLayout<Element>.alignment == 0)
        self.memory = memory
        self.elements = UnsafeBufferPointer(start: start?.assumingMemoryBound(to: Element.self), count: count)
    }

    /// The values copied into memory of their own.
    init(_ values: [Element]) { self = TableMemory.copying(values) }

    var startIndex: Int { 0 }
    var endIndex: Int { elements.count }

    @inline(__always)
    subscript(position: Int) -> Element { elements[position] }

    /// Whether the values are a mapped file's pages.
    var isMapped: Bool { memory.isMapped }

    /// The values' bytes, as written to a table file.
    var rawBytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(elements) }
}
