import Foundation

/// Documents to make twins of at start-up, listed in a JSON manifest: `[{"file", "source_type", "name"}]`, files
/// relative to the manifest. The shipped twins are `corpora/twins/shipped.json`.
public struct TwinSeed: Sendable, Decodable, Equatable {
    public var file: String
    public var sourceType: TwinSourceType
    public var name: String?

    enum CodingKeys: String, CodingKey {
        case file, name
        case sourceType = "source_type"
    }

    /// The uploads a manifest lists, read from disk; an unreadable manifest or file is an error naming it.
    public static func uploads(manifest: URL) throws -> [TwinUpload] {
        let seeds: [TwinSeed]
        do {
            seeds = try JSONDecoder().decode([TwinSeed].self, from: Data(contentsOf: manifest))
        } catch {
            throw CommandFailure("\(manifest.path) is not a twin manifest ([{\"file\", \"source_type\", \"name\"}]): \(error)")
        }
        return try seeds.map { seed in
            let url = manifest.deletingLastPathComponent().appendingPathComponent(seed.file)
            guard let data = FileManager.default.contents(atPath: url.path) else {
                throw CommandFailure("\(manifest.lastPathComponent) lists \(seed.file), which cannot be read")
            }
            return TwinUpload(data: data, fileName: url.lastPathComponent, sourceType: seed.sourceType, name: seed.name)
        }
    }
}

extension TwinLibrary {
    /// Makes a twin of every upload that has none yet (the same bytes are a no-op); returns how many were new.
    @discardableResult
    public func seed(_ uploads: [TwinUpload]) async throws -> Int {
        var created = 0
        for upload in uploads where try await create(upload).created { created += 1 }
        return created
    }
}
