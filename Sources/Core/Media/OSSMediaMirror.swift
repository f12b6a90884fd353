import Foundation

/// Where generated media is copied so outside services (a video vendor) and browsers can fetch it without this
/// server being reachable: object storage.
public protocol MediaMirror: Sendable {
    /// Copies a stored file, by the media store's id.
    func upload(_ data: Data, id: String, contentType: String) async throws
    /// A link anyone can fetch the copy at, for a while.
    func fetchableURL(for id: String) -> URL
}

/// Generated media copied to an Alibaba Cloud OSS bucket (the original's `OSS_*` settings) under `media/{id}`, read
/// back through signed links; uploads go through the one LLM client, so cassettes record them (as digests).
public struct OSSMediaMirror: MediaMirror {
    public let client: LLMClient
    public let bucket: String
    /// `https://{bucket}.{endpoint}` unless given.
    public let objectBaseURL: URL
    public let signer: OSSSigner
    public let linkLifetime: TimeInterval
    private let now: @Sendable () -> Date

    public init(
        client: LLMClient, bucket: String, endpoint: String, signer: OSSSigner, linkLifetime: TimeInterval = 3600,
        objectBaseURL: URL? = nil, now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.client = client
        self.bucket = bucket
        self.objectBaseURL = objectBaseURL ?? URL(string: "https://\(bucket).\(endpoint)")!
        self.signer = signer
        self.linkLifetime = linkLifetime
        self.now = now
    }

    public func upload(_ data: Data, id: String, contentType: String) async throws {
        let key = "media/" + id
        _ = try await client.call(
            .objectPut, model: "oss",
            body: .object([
                "url": .string(objectBaseURL.appendingPathComponent(key).absoluteString), "bucket": .string(bucket),
                "key": .string(key), "file": BinaryBody.file(data, name: id, contentType: contentType),
            ]))
    }

    public func fetchableURL(for id: String) -> URL {
        let key = "media/" + id
        return signer.signedURL(
            objectURL: objectBaseURL.appendingPathComponent(key), bucket: bucket, key: key,
            expires: now().addingTimeInterval(linkLifetime))
    }
}
