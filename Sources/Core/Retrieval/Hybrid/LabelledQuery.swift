import Foundation

/// A labelled query as the benchmark files hold it: `{"query": "...", "expected": "<topic>" | null}`.
public struct LabelledQuery: Sendable, Codable, Equatable {
    public var query: String
    public var expected: String?

    public init(query: String, expected: String?) {
        self.query = query
        self.expected = expected
    }

    /// Reads JSON lines, naming the line of any malformed one.
    public static func load(jsonLines data: Data, source: String) throws -> [LabelledQuery] {
        let text = try TextDecoding.decode(data).text
        var queries: [LabelledQuery] = []
        for (number, line) in JSONLines.lines(text) {
            do {
                queries.append(try JSONDecoder().decode(LabelledQuery.self, from: Data(line.utf8)))
            } catch {
                throw KnowledgeBaseImportError(
                    line: number, reason: "\(source): expected {\"query\": \"...\", \"expected\": \"topic\" or null}")
            }
        }
        return queries
    }
}
