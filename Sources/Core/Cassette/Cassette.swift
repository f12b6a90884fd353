import Foundation

/// One named cassette file, shared by every call in a run: it hands out occurrence numbers and persists recordings.
public actor Cassette {
    public nonisolated let name: String
    public nonisolated let url: URL
    private let redactor: Redactor
    private var recordings: [String: [Int: CassetteInteraction]] = [:]
    private var occurrencesUsed: [String: Int] = [:]
    private let repeatsLastRecording: Bool
    private let matching: ReplayMatching

    /// Opens `directory/name.json`; with `startEmpty` (record mode) earlier recordings are discarded. With
    /// `repeatsLastRecording`, a request claimed more often than recorded gets its last recording again; `matching`
    /// says how much of a request must equal its recording.
    public init(
        directory: String, name: String, startEmpty: Bool, redactor: Redactor, repeatsLastRecording: Bool = false,
        matching: ReplayMatching = .exact
    ) throws {
        self.name = name
        self.repeatsLastRecording = repeatsLastRecording
        self.matching = matching
        self.url = URL(fileURLWithPath: directory).appendingPathComponent(Self.fileName(for: name))
        self.redactor = redactor
        if !startEmpty, FileManager.default.fileExists(atPath: url.path) {
            let interactions = try CassetteFile.read(from: url).interactions
            switch matching {
            case .exact:
                for interaction in interactions {
                    recordings[interaction.matchKey, default: [:]][interaction.occurrence] = interaction
                }
            case .lastTurn:
                // Requests that differ only in earlier turns share a key: they replay one after another, in the
                // order the file holds them.
                for interaction in interactions {
                    let key = Self.key(interaction.endpoint, interaction.request, matching: matching)
                    recordings[key, default: [:]][recordings[key]?.count ?? 0] = interaction
                }
            }
        }
    }

    /// The key a request is found under: the whole request, or (`lastTurn`) its `messages` reduced to the first
    /// system message and the last message.
    static func key(_ endpoint: LLMEndpoint, _ request: JSONValue, matching: ReplayMatching) -> String {
        guard matching == .lastTurn, var object = request.objectValue, let messages = object["messages"]?.arrayValue,
            let last = messages.last
        else { return endpoint.rawValue + " " + request.canonicalString }
        let system = messages.dropLast().first { $0["role"]?.stringValue == "system" }
        object["messages"] = .array((system.map { [$0] } ?? []) + [last])
        return endpoint.rawValue + " " + JSONValue.object(object).canonicalString
    }

    /// A file-system-safe file name for a cassette name.
    static func fileName(for name: String) -> String {
        let safe = name.unicodeScalars.map { scalar -> String in
            CharacterSet.alphanumerics.contains(scalar) || "-_.".unicodeScalars.contains(scalar)
                ? String(scalar) : "_"
        }.joined()
        return (safe.isEmpty ? "default" : safe) + ".json"
    }

    /// Reserves the next occurrence number of a request and returns its recording, if there is one.
    func claim(endpoint: LLMEndpoint, request: JSONValue) -> (occurrence: Int, recording: CassetteInteraction?) {
        let key = Self.key(endpoint, request, matching: matching)
        let occurrence = occurrencesUsed[key, default: 0]
        occurrencesUsed[key] = occurrence + 1
        guard let recorded = recordings[key] else { return (occurrence, nil) }
        if let recording = recorded[occurrence] { return (occurrence, recording) }
        guard repeatsLastRecording, let last = recorded.keys.max() else { return (occurrence, nil) }
        return (occurrence, recorded[last])
    }

    /// Stores a new recording and rewrites the file.
    func record(_ interaction: CassetteInteraction) throws {
        recordings[Self.key(interaction.endpoint, interaction.request, matching: matching), default: [:]][interaction.occurrence] = interaction
        let all = recordings.values.flatMap(\.values)
        try CassetteFile(interactions: all).write(to: url, redactor: redactor)
    }

    /// Explains a miss: the recording nearest to `request`, field by field.
    func miss(endpoint: LLMEndpoint, request: JSONValue, occurrence: Int) -> CassetteMiss {
        let key = Self.key(endpoint, request, matching: matching)
        let candidates = recordings.values.flatMap(\.values).filter { $0.endpoint == endpoint }
        let nearest = candidates.map { ($0, $0.request.differences(from: request)) }
            .min { left, right in
                (left.1.count, left.0.matchKey, left.0.occurrence) < (right.1.count, right.0.matchKey, right.0.occurrence)
            }
        return CassetteMiss(
            cassette: url.path, endpoint: endpoint, model: request["model"]?.stringValue ?? "?",
            occurrence: occurrence, recordedOccurrences: recordings[key]?.count ?? 0,
            nearestDifferences: nearest?.1 ?? [], recordingsForEndpoint: candidates.count)
    }

    /// Number of recordings held.
    public var count: Int { recordings.values.reduce(0) { $0 + $1.count } }
}
