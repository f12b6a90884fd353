import Foundation

/// Media (synthesised speech, talking-head videos, uploaded portraits) in one folder, under random names; only names it made
/// are ever read back, so the media route cannot reach any other file.
public actor MediaStore {
    /// The folder the files live in.
    public nonisolated let directory: URL
    /// How many files are kept; the oldest go first.
    public nonisolated let capacity: Int
    /// Where each stored file is also copied (object storage), if anywhere.
    public nonisolated let mirror: (any MediaMirror)?
    private let now: @Sendable () -> Date
    private var names: [String] = []
    private var loaded = false

    /// The media types of the extensions it stores.
    public static let contentTypes = [
        "wav": "audio/wav", "mp3": "audio/mpeg", "ogg": "audio/ogg", "mp4": "video/mp4",
        "png": "image/png", "jpg": "image/jpeg", "webp": "image/webp",
    ]

    /// `now` stamps the names (tests pass their own clock); `mirror` gets a copy of every file.
    public init(
        directory: URL, capacity: Int = 500, mirror: (any MediaMirror)? = nil, now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.directory = directory
        self.capacity = max(1, capacity)
        self.mirror = mirror
        self.now = now
    }

    /// Saves `data` atomically (and copies it to the mirror) and returns its id (`<32 hex>.<ext>`: 12 of time, 20
    /// random). A failed copy keeps nothing.
    public func store(_ data: Data, fileExtension: String) async throws -> String {
        let id = try storeLocally(data, fileExtension: fileExtension)
        guard let mirror else { return id }
        do {
            try await mirror.upload(data, id: id, contentType: Self.contentTypes[fileExtension] ?? "application/octet-stream")
        } catch is CancellationError {
            forget(id)
            throw CancellationError()
        } catch {
            // The client has logged the cause (redacted); callers see one storage failure.
            forget(id)
            throw MediaStoreError.mirrorFailed
        }
        return id
    }

    private func forget(_ id: String) {
        names.removeAll { $0 == id }
        try? FileManager.default.removeItem(at: directory.appendingPathComponent(id))
    }

    /// A link outside services can fetch a stored file at (the mirror's), or nil without a mirror.
    public nonisolated func fetchableURL(for id: String) -> URL? {
        mirror?.fetchableURL(for: id)
    }

    private func storeLocally(_ data: Data, fileExtension: String) throws -> String {
        guard Self.contentTypes[fileExtension] != nil else { throw MediaStoreError.unsupportedExtension(fileExtension) }
        try loadNames()
        // Milliseconds first, then randomness: names sort in the order they were made, and cannot be guessed.
        let milliseconds = UInt64(max(0, now().timeIntervalSince1970 * 1000)) & 0xFFFF_FFFF_FFFF
        let time = String(milliseconds, radix: 16)
        let random = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let id = String(repeating: "0", count: 12 - time.count) + time + random.prefix(20) + "." + fileExtension
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

    /// Whether the store still holds `id`.
    public func holds(_ id: String) -> Bool {
        Self.isValidID(id) && FileManager.default.fileExists(atPath: directory.appendingPathComponent(id).path)
    }

    /// The path the server serves a stored file at.
    public static func urlPath(for id: String) -> String { "/api/media/" + id }

    /// The id in a link to a stored file: `/api/media/{id}`, or an absolute http(s) URL with that path; nil for
    /// anything else.
    public static func id(inLink link: String) -> String? {
        guard link.count <= 2048, let url = URL(string: link) else { return nil }
        if url.scheme != nil, !(url.scheme == "http" || url.scheme == "https") || url.host == nil { return nil }
        let prefix = urlPath(for: "")
        guard url.path.hasPrefix(prefix) else { return nil }
        let id = String(url.path.dropFirst(prefix.count))
        return isValidID(id) ? id : nil
    }

    /// Whether `id` has the shape of a name this store makes: 32 lowercase hex digits, a dot, a known extension.
    public static func isValidID(_ id: String) -> Bool {
        let parts = id.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 32, contentTypes[String(parts[1])] != nil else { return false }
        return parts[0].utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }
    }

    private func loadNames() throws {
        guard !loaded else { return }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        names = files.filter(Self.isValidID).sorted()
        loaded = true
    }
}

/// Why media could not be stored.
public enum MediaStoreError: Error, Equatable, Sendable, CustomStringConvertible {
    case unsupportedExtension(String)
    /// The copy to object storage failed (details in the log); nothing was kept.
    case mirrorFailed

    public var description: String {
        switch self {
        case .unsupportedExtension(let found): return "media of type \(found) is not kept"
        case .mirrorFailed: return "the copy to object storage failed, so nothing was kept; the server log has the details"
        }
    }
}
