import Foundation

/// One recorded request and its reply.
public struct CassetteInteraction: Codable, Sendable, Hashable {
    /// One streamed payload and when it arrived after the request was sent.
    public struct Chunk: Codable, Sendable, Hashable {
        public var offsetMs: Double
        public var data: String

        enum CodingKeys: String, CodingKey {
            case offsetMs = "offset_ms"
            case data
        }
    }

    public var endpoint: LLMEndpoint
    public var model: String
    /// Which repetition of an identical request this is, counted from 0 within one run.
    public var occurrence: Int
    /// The request body with volatile fields removed.
    public var request: JSONValue
    /// The JSON reply of a non-streamed call (embedding vectors stored as base64 Float32).
    public var response: JSONValue?
    /// How long a non-streamed call took.
    public var latencyMs: Double?
    /// The payloads of a streamed call, in order.
    public var chunks: [Chunk]?

    /// A recording: the request as `CassetteTransport.normalise` keys it, and its reply or streamed payloads.
    public init(
        endpoint: LLMEndpoint, model: String, occurrence: Int, request: JSONValue, response: JSONValue?, latencyMs: Double?,
        chunks: [Chunk]?
    ) {
        self.endpoint = endpoint
        self.model = model
        self.occurrence = occurrence
        self.request = request
        self.response = response
        self.latencyMs = latencyMs
        self.chunks = chunks
    }

    enum CodingKeys: String, CodingKey {
        case endpoint, model, occurrence, request, response, chunks
        case latencyMs = "latency_ms"
    }

    /// The identity of the request, occurrence aside.
    var matchKey: String { endpoint.rawValue + " " + request.canonicalString }

    /// Timings are replayed as sleeps: they must be finite, not negative and at most a day.
    static let plausibleMilliseconds = 0.0...86_400_000.0

    /// Chunks whose streamed text (`choices[0].delta.content`) is redacted as one text, so a secret split across
    /// two chunks is removed too; chunks without a secret are kept byte for byte.
    static func redactingContent(of chunks: [Chunk], with redactor: Redactor) -> [Chunk] {
        let parsed = chunks.map { try? JSONValue.parse($0.data) }
        let holders = parsed.indices.filter { parsed[$0]?["choices"]?[0]?["delta"]?["content"]?.stringValue != nil }
        let pieces = holders.compactMap { parsed[$0]?["choices"]?[0]?["delta"]?["content"]?.stringValue }
        let redacted = StreamRedactor.redact(pieces, with: redactor)
        guard redacted != pieces else { return chunks }
        var result = chunks
        for (holder, text) in zip(holders, redacted) {
            guard var object = parsed[holder]?.objectValue, var choices = object["choices"]?.arrayValue,
                var choice = choices.first?.objectValue, var delta = choice["delta"]?.objectValue
            else { continue }
            delta["content"] = .string(text)
            choice["delta"] = .object(delta)
            choices[0] = .object(choice)
            object["choices"] = .array(choices)
            result[holder].data = JSONValue.object(object).canonicalString
        }
        return result
    }

    /// What makes this recording unusable, if anything.
    var problem: String? {
        if occurrence < 0 { return "occurrence \(occurrence) is negative" }
        if let latencyMs, !Self.plausibleMilliseconds.contains(latencyMs) {
            return "latency_ms \(latencyMs) is outside 0...86400000"
        }
        if let bad = chunks?.first(where: { !Self.plausibleMilliseconds.contains($0.offsetMs) }) {
            return "offset_ms \(bad.offsetMs) is outside 0...86400000"
        }
        return nil
    }
}

/// The on-disk form of a cassette: pretty-printed JSON with sorted keys, so re-recording diffs cleanly.
public struct CassetteFile: Codable, Sendable {
    public static let currentVersion = 1

    public var version: Int
    public var interactions: [CassetteInteraction]

    public init(interactions: [CassetteInteraction]) {
        self.version = Self.currentVersion
        self.interactions = interactions
    }

    /// Reads a cassette file.
    public static func read(from url: URL) throws -> CassetteFile {
        try decode(Data(contentsOf: url), path: url.path)
    }

    /// Decodes and checks a cassette's bytes; `path` names it in errors.
    public static func decode(_ data: Data, path: String) throws -> CassetteFile {
        let file: CassetteFile
        do {
            file = try JSONDecoder().decode(CassetteFile.self, from: data)
        } catch {
            throw CassetteFormatError(path: path, reason: String(describing: error))
        }
        guard file.version == currentVersion else {
            throw CassetteFormatError(path: path, reason: "version \(file.version), expected \(currentVersion)")
        }
        for (number, interaction) in file.interactions.enumerated() {
            if let problem = interaction.problem {
                throw CassetteFormatError(path: path, reason: "interaction \(number): \(problem)")
            }
        }
        return file
    }

    /// Writes the cassette atomically, with secrets redacted (in streamed replies also across chunk boundaries) and
    /// interactions in a stable order.
    public func write(to url: URL, redactor: Redactor) throws {
        var sorted = self
        for index in sorted.interactions.indices {
            sorted.interactions[index].chunks = sorted.interactions[index].chunks.map {
                CassetteInteraction.redactingContent(of: $0, with: redactor)
            }
        }
        sorted.interactions.sort {
            ($0.matchKey, $0.occurrence) < ($1.matchKey, $1.occurrence)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let text = redactor.redact(String(decoding: try encoder.encode(sorted), as: UTF8.self)) + "\n"
        try FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url, options: .atomic)
    }
}

/// A cassette file that cannot be read.
public struct CassetteFormatError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let reason: String
    public var description: String { "cassette \(path) is unreadable: \(reason)" }
}

/// Converts embedding vectors between JSON number arrays and compact base64 little-endian Float32.
enum EmbeddingCompaction {
    static func compact(_ response: JSONValue) -> JSONValue {
        transformData(response) { item in
            guard var object = item.objectValue, let values = object["embedding"]?.arrayValue else { return item }
            let floats = values.compactMap { $0.doubleValue.map(Float.init) }.filter(\.isFinite)
            // A vector that is not all finite numbers is kept as it came, so replay fails the way the live call did.
            guard floats.count == values.count else { return item }
            object["embedding"] = nil
            object["embedding_f32le_base64"] = .string(VectorCodec.encode(floats).base64EncodedString())
            return .object(object)
        }
    }

    static func expand(_ response: JSONValue) -> JSONValue {
        transformData(response) { item in
            guard var object = item.objectValue, let encoded = object["embedding_f32le_base64"]?.stringValue,
                let data = Data(base64Encoded: encoded)
            else { return item }
            object["embedding_f32le_base64"] = nil
            object["embedding"] = .array(VectorCodec.decode(data).map { .number(Double($0)) })
            return .object(object)
        }
    }

    private static func transformData(_ response: JSONValue, _ transform: (JSONValue) -> JSONValue) -> JSONValue {
        guard var object = response.objectValue, let data = object["data"]?.arrayValue else { return response }
        object["data"] = .array(data.map(transform))
        return .object(object)
    }
}
