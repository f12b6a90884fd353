/// An RFC 4180 CSV reader: quoted fields may hold commas, quotes ("") and newlines; CR, LF and CRLF end records.
public enum CSVReader {
    /// One record with the 1-based line on which it starts.
    public struct Record: Sendable, Equatable {
        public var line: Int
        public var fields: [String]
    }

    /// A quote that is never closed.
    public struct UnterminatedQuote: Error, CustomStringConvertible, Sendable, Equatable {
        public let line: Int
        public init(line: Int) { self.line = line }
        public var description: String { "line \(line): a quoted field is never closed" }
    }

    /// The records of `text`; blank lines are skipped.
    public static func records(_ text: String) throws -> [Record] {
        var records: [Record] = []
        var fields: [String] = []
        var field = String.UnicodeScalarView()
        var inQuotes = false
        var line = 1
        var recordLine = 1
        var quoteLine = 1
        var fieldWasQuoted = false
        var iterator = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil

        func endRecord() {
            fields.append(String(field))
            field = String.UnicodeScalarView()
            if !(fields.count == 1 && fields[0].isEmpty && !fieldWasQuoted) {
                records.append(Record(line: recordLine, fields: fields))
            }
            fields = []
            fieldWasQuoted = false
        }

        while let scalar = pending ?? iterator.next() {
            pending = nil
            if inQuotes {
                if scalar == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" {
                            field.append("\"")
                        } else {
                            inQuotes = false
                            pending = next
                        }
                    } else {
                        inQuotes = false
                    }
                } else {
                    if scalar == "\n" { line += 1 }
                    field.append(scalar)
                }
                continue
            }
            switch scalar {
            case "\"" where field.isEmpty:
                inQuotes = true
                fieldWasQuoted = true
                quoteLine = line
            case ",":
                fields.append(String(field))
                field = String.UnicodeScalarView()
            case "\r", "\n":
                if scalar == "\r", let next = iterator.next(), next != "\n" { pending = next }
                endRecord()
                line += 1
                recordLine = line
            default:
                field.append(scalar)
            }
        }
        if inQuotes { throw UnterminatedQuote(line: quoteLine) }
        if !field.isEmpty || !fields.isEmpty || fieldWasQuoted { endRecord() }
        return records
    }
}
