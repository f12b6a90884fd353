import Foundation

/// One knowledge-base entry: a topic, the ways users ask about it, the standard answer and its risk notes.
public struct KnowledgeEntry: Sendable, Hashable, Codable {
    /// The CSV line the entry came from (1-based, the header being line 1).
    public var line: Int
    public var questionCount: Int
    public var topicName: String
    /// The phrasings of the question: the typical question first, then any further lines of that cell.
    public var phrasings: [String]
    public var standardScript: String
    public var riskNotes: String

    public init(line: Int, questionCount: Int, topicName: String, phrasings: [String], standardScript: String, riskNotes: String) {
        self.line = line
        self.questionCount = questionCount
        self.topicName = topicName
        self.phrasings = phrasings
        self.standardScript = standardScript
        self.riskNotes = riskNotes
    }

    public var typicalQuestion: String { phrasings.first ?? "" }
}

/// Why a knowledge-base file was rejected; every message names the row and, where it applies, the column.
public struct KnowledgeBaseImportError: Error, CustomStringConvertible, Sendable, Equatable {
    public var line: Int?
    public var column: String?
    public var reason: String

    public var description: String {
        var place = ""
        if let line { place += "line \(line)" }
        if let column { place += place.isEmpty ? "column \(column)" : ", column \(column)" }
        return place.isEmpty ? reason : "\(place): \(reason)"
    }
}

/// Reads the original 5-column knowledge-base CSV:
/// question_count, topic_name, typical_question, standard_script, risk_notes (header row in any language).
public enum KnowledgeBaseCSV {
    public static let columns = ["question_count", "topic_name", "typical_question", "standard_script", "risk_notes"]
    public static let maximumFileBytes = 20 * 1024 * 1024
    public static let maximumFieldCharacters = 20_000

    /// Parses and validates a whole file; any problem rejects the file.
    public static func parse(_ data: Data) throws -> (entries: [KnowledgeEntry], encoding: TextDecoding.Detected) {
        guard data.count <= maximumFileBytes else {
            throw KnowledgeBaseImportError(
                reason: "the file is \(data.count) bytes; the limit is \(maximumFileBytes) bytes")
        }
        let (text, encoding): (String, TextDecoding.Detected)
        do {
            (text, encoding) = try TextDecoding.decode(data)
        } catch {
            throw KnowledgeBaseImportError(reason: String(describing: error))
        }
        let records: [CSVReader.Record]
        do {
            records = try CSVReader.records(text)
        } catch let error as CSVReader.UnterminatedQuote {
            throw KnowledgeBaseImportError(line: error.line, reason: "a quoted field is never closed")
        }
        guard let header = records.first else {
            throw KnowledgeBaseImportError(reason: "the file is empty; expected a header row and data rows")
        }
        guard header.fields.count == columns.count else {
            throw KnowledgeBaseImportError(
                line: header.line,
                reason: "the header has \(header.fields.count) columns; expected \(columns.count): \(columns.joined(separator: ", "))")
        }
        var entries: [KnowledgeEntry] = []
        for record in records.dropFirst() {
            entries.append(try entry(from: record))
        }
        guard !entries.isEmpty else {
            throw KnowledgeBaseImportError(reason: "the file has a header but no data rows")
        }
        return (entries, encoding)
    }

    private static func entry(from record: CSVReader.Record) throws -> KnowledgeEntry {
        guard record.fields.count == columns.count else {
            throw KnowledgeBaseImportError(
                line: record.line,
                reason: "\(record.fields.count) columns; expected \(columns.count) (\(columns.joined(separator: ", ")))")
        }
        let fields = record.fields.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        for (index, field) in fields.enumerated() where field.count > maximumFieldCharacters {
            throw KnowledgeBaseImportError(
                line: record.line, column: columns[index],
                reason: "\(field.count) characters; the limit is \(maximumFieldCharacters)")
        }
        for (index, field) in fields.enumerated() {
            // Tabs and line breaks are text; NUL and the other control characters are a binary or damaged file.
            if let control = field.unicodeScalars.first(where: {
                $0.properties.generalCategory == .control && !["\t", "\n", "\r"].contains($0)
            }) {
                throw KnowledgeBaseImportError(
                    line: record.line, column: columns[index],
                    reason: String(format: "holds the control character U+%04X", control.value))
            }
        }
        for index in 1...3 where fields[index].isEmpty {
            throw KnowledgeBaseImportError(line: record.line, column: columns[index], reason: "must not be empty")
        }
        let count: Int
        if fields[0].isEmpty {
            count = 0
        } else if let parsed = Int(fields[0]), parsed >= 0 {
            count = parsed
        } else {
            throw KnowledgeBaseImportError(
                line: record.line, column: columns[0], reason: "\"\(fields[0].prefix(40))\" is not a whole number ≥ 0")
        }
        let phrasings = fields[2].split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return KnowledgeEntry(
            line: record.line, questionCount: count, topicName: fields[1], phrasings: phrasings,
            standardScript: fields[3], riskNotes: fields[4])
    }
}
