import Foundation

/// Generated media (synthesised speech, talking-head videos) in one folder, under random names; only names it made
/// are ever read back, so the media route cannot reach any other file.
public actor MediaStore {
    /// The folder the files live in.
    public nonisolated let directory: URL
    /// How many files are kept; the oldest go first.
    public nonisolated let capacity: Int
    private var names: [String] = []
    private var loaded = false

    /// The media types of the extensions it stores.
    public static let contentTypes = ["wav": "audio/wav", "mp3": "audio/mpeg", "ogg": "audio/ogg", "mp4": "video/mp4"]

    public init(directory: URL, capacity: Int = 500) {
        self.directory = directory
        self.capacity = max(1, capacity)
    }

    /// Saves `data` atomically and returns its id (`<32 hex>.<ext>`).
    public func store(_ data: Data, fileExtension: String) throws -> String {
        guard Self.contentTypes[fileExtension] != nil else { throw MediaStoreError.unsupportedExtension(fileExtension) }
        try loadNames()
        let id = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased() + "." + fileExtension
        try data.write(to: directory.appendingPathComponent(id), options: .atomic)
        names.append(id)
        while names.count > capacity {
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(names.removeFirst()))
        }
        return id
    }

    /// The bytes and media type of a stored file; nil for any id it did not make or no longer holds.
    public func read(_ id: String) -> (data: Data, contentType: String)? {
        guard Self.isValidID(id), let type = Self.contentTypes[String(id.split(separator: ".").last ?? "")] else { return nil }
        guard let data = try? Data(contentsOf: directory.appendingPathComponent(id)) else { return nil }
        return (data, type)
    }

    /// The path the server serves a stored file at.
    public static func urlPath(for id: String) -> String { "/api/media/" + id }

    /// Whether `id` has the shape of a name this store makes: 32 lowercase hex digits, a dot, a known extension.
    public static func isValidID(_ id: String) -> Bool {
        let parts = id.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 32, contentTypes[String(parts[1])] != nil else { return false }
        return parts[0].utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }
    }

    private func loadNames() throws {
        guard !loaded else { return }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let files = (try? FileManager.default.contentsOfDirectory(
            at: directory, includingPropertiesForKeys: [.contentModificationDateKey])) ?? []
        let dated = files.filter { Self.isValidID($0.lastPathComponent) }.map { url in
            (url.lastPathComponent, (try? url.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate) ?? .distantPast)
        }
        names = dated.sorted { ($0.1, $0.0) < ($1.1, $1.0) }.map(\.0)
        loaded = true
    }
}

/// Why media could not be stored.
public enum MediaStoreError: Error, Equatable, Sendable {
    case unsupportedExtension(String)
}
