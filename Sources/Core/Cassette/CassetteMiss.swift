/// A replay-mode request the cassette does not hold, with the closest recording and how it differs.
public struct CassetteMiss: Sendable, Equatable, CustomStringConvertible {
    public var cassette: String
    public var endpoint: LLMEndpoint
    public var model: String
    public var occurrence: Int
    /// How many times this exact request was recorded (a miss with a count means a repeat ran out).
    public var recordedOccurrences: Int
    /// `path: recorded -> requested` lines against the nearest recording, empty when there is none.
    public var nearestDifferences: [String]
    public var recordingsForEndpoint: Int

    public var description: String {
        var text = "cassette miss in '\(cassette)': no recording of \(endpoint.rawValue) request #\(occurrence) for model '\(model)'"
        if recordedOccurrences > 0 {
            text += "; this exact request was recorded \(recordedOccurrences) time(s) and this run asked for it again"
        } else if recordingsForEndpoint == 0 {
            text += "; the cassette holds no \(endpoint.rawValue) recordings (record with LLM_MODE=record or auto)"
        } else {
            text += "; the nearest recorded request differs in (recorded -> requested):"
            for line in nearestDifferences.prefix(12) { text += "\n  " + line }
            if nearestDifferences.count > 12 { text += "\n  ... and \(nearestDifferences.count - 12) more" }
        }
        return text
    }
}
