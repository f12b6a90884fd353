import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where tables compiled from text data files (jieba's dictionary and IDF table) are kept between runs, and how they
/// are written and read.
///
/// Building the dictionary's trie from its text takes seconds and millions of short-lived allocations, which leave the
/// heap fragmented for the life of the process; a compiled file is mapped in at once, and its pages are shared by
/// every process on the machine that maps it (several server instances, the test runner's processes). Files are named
/// by the digest of their sources and the format version, written to a temporary name and renamed, so a changed
/// dictionary compiles afresh (its older file is deleted) and concurrent processes never read a half-written file. A
/// file whose checksum does not match is compiled again; a directory that cannot be written to leaves the tables built
/// in memory, as before.
public struct CompiledTables: Sendable {
    /// Bump when any table's layout or the way it is built changes: files of other versions are ignored.
    static let formatVersion: UInt32 = 3
    private static let magic = Array("VCTABLES".utf8)
    private static let alignment = 64

    /// The directory compiled files are kept in; nil keeps every table in memory and writes nothing.
    public let directory: URL?

    /// Tables kept in `directory`, created when first needed; nil keeps them in memory.
    /// The files these tables (and their copies) have mapped, for ``releaseResidentPages()``.
    private let mappings = TableMappings()

    public init(directory: URL?) { self.directory = directory }

    /// Hands the resident pages of every table file these tables have mapped back to the page cache, for a process
    /// going idle: its resident memory drops by the pages lookups had touched (about 9 MB once a Chinese knowledge
    /// base has been imported), and later lookups fault back in only the pages they need.
    public func releaseResidentPages() { mappings.releaseResidentPages() }

    /// `CACHE_DIR`, else `$XDG_CACHE_HOME/vividcrowd`, else `~/.cache/vividcrowd`, else the temporary directory's
    /// `vividcrowd-cache`.
    public static func defaultDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let path = environment["CACHE_DIR"], !path.isEmpty { return URL(fileURLWithPath: path) }
        if let path = environment["XDG_CACHE_HOME"], !path.isEmpty {
            return URL(fileURLWithPath: path).appendingPathComponent("vividcrowd")
        }
        if let home = environment["HOME"], !home.isEmpty {
            return URL(fileURLWithPath: home).appendingPathComponent(".cache/vividcrowd")
        }
        return FileManager.default.temporaryDirectory.appendingPathComponent("vividcrowd-cache")
    }

    /// Tables kept in ``defaultDirectory(environment:)``, or in the temporary directory's `vividcrowd-cache` when that
    /// cannot be created (a read-only home): building the trie in every process is the slow path, kept for a machine
    /// where neither can be written.
    public static var standard: CompiledTables {
        let preferred = defaultDirectory()
        if (try? FileManager.default.createDirectory(at: preferred, withIntermediateDirectories: true)) != nil {
            return CompiledTables(directory: preferred)
        }
        return CompiledTables(directory: FileManager.default.temporaryDirectory.appendingPathComponent("vividcrowd-cache"))
    }

    /// SHA-256 of the files' bytes in order, read in blocks (never the whole file at once), as hex.
    static func digest(of files: [URL]) throws -> String {
        var hasher = SHA256()
        for file in files {
            let handle = try FileHandle(forReadingFrom: file)
            defer { try? handle.close() }
            while let block = try handle.read(upToCount: 1 << 20), !block.isEmpty { hasher.update(data: block) }
        }
        return hasher.finalize().hexString
    }

    /// The table `name` for `sourceDigest`: read from its compiled file's sections when there is one, else built,
    /// written and read back from the file. Building runs under a lock on the directory, so processes and threads that
    /// need the same table at once build it once and the others wait and map it. When the directory cannot take the
    /// file, the built table is kept as it is.
    func load<Table>(
        _ name: String, sourceDigest: String, sections count: Int, reading: ([TableSection]) -> Table?,
        building: () throws -> Table, writing: (Table) -> [[UInt8]]
    ) throws -> Table {
        func mapped() -> Table? { open(name, sourceDigest: sourceDigest, sections: count).flatMap(reading) }
        if let table = mapped() { return table }
        return try withBuildLock(name) {
            if let table = mapped() { return table }
            let built = try building()
            guard write(name, sourceDigest: sourceDigest, sections: writing(built)), let table = mapped() else {
                return built
            }
            return table
        }
    }

    /// Runs `body` holding an exclusive `flock` on `name`'s lock file in the directory (without one when there is no
    /// directory or it cannot be created).
    private func withBuildLock<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
        guard let directory, (try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)) != nil
        else { return try body() }
        let descriptor = Glibc.open(directory.appendingPathComponent(".\(name).lock").path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { return try body() }
        defer { close(descriptor) }
        while flock(descriptor, LOCK_EX) != 0 && errno == EINTR {}
        defer { flock(descriptor, LOCK_UN) }
        return try body()
    }

    /// SHA-256 of `text` as hex: one name for several sources' digests.
    static func digest(of text: String) -> String {
        SHA256.hash(data: Array(text.utf8)).hexString
    }

    /// The sections of the compiled file `name` for `sourceDigest`, mapped; nil when there is none, or it does not
    /// hold `sections` sections, or its checksum does not match.
    func open(_ name: String, sourceDigest: String, sections: Int) -> [TableSection]? {
        guard let url = url(name, sourceDigest: sourceDigest), let body = Self.verifiedBodyDigest(url) else {
            return nil
        }
        guard let memory = TableMemory.mapping(url.path) else { return nil }
        mappings.record(memory)
        let bytes = memory.bytes
        let headerSize = Self.headerSize(sections: sections)
        guard bytes.count >= headerSize, Array(bytes[0..<8]) == Self.magic,
            bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self) == Self.formatVersion,
            bytes.loadUnaligned(fromByteOffset: 12, as: UInt32.self) == UInt32(sections),
            Array(bytes[16..<48]) == Array(body)
        else { return nil }
        var result: [TableSection] = []
        for index in 0..<sections {
            let offset = Int(bytes.loadUnaligned(fromByteOffset: 48 + index * 16, as: UInt64.self))
            let count = Int(bytes.loadUnaligned(fromByteOffset: 56 + index * 16, as: UInt64.self))
            guard offset >= headerSize, offset % Self.alignment == 0, count >= 0, offset <= bytes.count,
                count <= bytes.count - offset
            else { return nil }
            result.append(TableSection(memory: memory, byteOffset: offset, byteCount: count))
        }
        return result
    }

    /// Writes `sections` as the compiled file `name` for `sourceDigest`; false when the directory cannot take it.
    @discardableResult
    func write(_ name: String, sourceDigest: String, sections: [[UInt8]]) -> Bool {
        guard let directory, let url = url(name, sourceDigest: sourceDigest) else { return false }
        let headerSize = Self.headerSize(sections: sections.count)
        var body: [UInt8] = []
        var table: [(offset: UInt64, count: UInt64)] = []
        for section in sections {
            while (headerSize + body.count) % Self.alignment != 0 { body.append(0) }
            table.append((UInt64(headerSize + body.count), UInt64(section.count)))
            body += section
        }
        var header = Self.magic
        withUnsafeBytes(of: Self.formatVersion.littleEndian) { header += $0 }
        withUnsafeBytes(of: UInt32(sections.count).littleEndian) { header += $0 }
        header += Array(SHA256.hash(data: body))
        for entry in table {
            withUnsafeBytes(of: entry.offset.littleEndian) { header += $0 }
            withUnsafeBytes(of: entry.count.littleEndian) { header += $0 }
        }
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString)")
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try Data(header + body).write(to: temporary)
            guard rename(temporary.path, url.path) == 0 else { throw CocoaError(.fileWriteUnknown) }
            removeOthers(of: name, keeping: url)
            return true
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            return false
        }
    }

    /// Deletes `name`'s files for other sources or versions: a process that still maps one keeps its pages until it
    /// unmaps them.
    private func removeOthers(of name: String, keeping kept: URL) {
        guard let directory, let files = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return }
        for file in files where file.hasPrefix("\(name)-v") && file.hasSuffix(".bin") && file != kept.lastPathComponent {
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(file))
        }
    }

    private func url(_ name: String, sourceDigest: String) -> URL? {
        directory?.appendingPathComponent("\(name)-v\(Self.formatVersion)-\(sourceDigest.prefix(32)).bin")
    }

    private static func headerSize(sections: Int) -> Int { 48 + sections * 16 }

    /// SHA-256 of everything after the header as the header records it, if the file's bytes match it: read with
    /// `read`, not through the mapping, so checking costs no resident memory.
    private static func verifiedBodyDigest(_ url: URL) -> SHA256.Digest? {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return nil }
        defer { try? handle.close() }
        guard let head = try? handle.read(upToCount: 48), head.count == 48,
            head.prefix(8).elementsEqual(magic),
            let sections = Optional(head.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 12, as: UInt32.self) }),
            sections < 1024, (try? handle.read(upToCount: Int(sections) * 16))?.count == Int(sections) * 16
        else { return nil }
        var hasher = SHA256()
        while let block = try? handle.read(upToCount: 1 << 20), !block.isEmpty { hasher.update(data: block) }
        let digest = hasher.finalize()
        return digest.elementsEqual(head[16..<48]) ? digest : nil
    }
}

/// One section of a compiled table file.
struct TableSection: Sendable {
    let memory: TableMemory
    let byteOffset: Int
    let byteCount: Int

    /// The section as an array of `Element`; nil when its length is not a whole number of them.
    func array<Element: BitwiseCopyable>(of type: Element.Type = Element.self) -> TableArray<Element>? {
        guard byteCount % MemoryLayout<Element>.stride == 0 else { return nil }
        return TableArray(memory: memory, byteOffset: byteOffset, count: byteCount / MemoryLayout<Element>.stride)
    }

    /// The section copied out into a Swift array (for the small tables kept as arrays or dictionaries).
    func copied<Element: BitwiseCopyable>(of type: Element.Type = Element.self) -> [Element]? {
        array(of: type).map(Array.init)
    }
}

extension Array where Element: BitwiseCopyable {
    /// The elements' bytes, as a compiled table file holds them.
    var tableBytes: [UInt8] { withUnsafeBytes { [UInt8]($0) } }
}
