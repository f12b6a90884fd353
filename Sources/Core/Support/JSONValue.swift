import Foundation

/// A JSON document as a value, with a canonical (sorted-key) serialisation used for cassette keys.
public enum JSONValue: Sendable, Hashable, Codable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else if let value = try? container.decode([String: JSONValue].self) {
            self = .object(value)
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a JSON value")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// Parses UTF-8 JSON bytes.
    public static func parse(_ data: Data) throws -> JSONValue {
        // UTF-16 or UTF-32 text, or a byte-order mark: JSONDecoder knows those encodings.
        if let first = data.first, first == 0 || first == 0xEF || first == 0xFE || first == 0xFF
            || (data.count > 1 && data[data.startIndex + 1] == 0)
        {
            return try JSONDecoder().decode(JSONValue.self, from: data)
        }
        return try JSONParser.parse(data)
    }

    /// Parses a JSON string.
    public static func parse(_ text: String) throws -> JSONValue {
        try parse(Data(text.utf8))
    }

    /// Compact JSON with object keys sorted, so equal values always serialise to equal text.
    public var canonicalString: String {
        var out = ""
        writeCanonical(into: &out)
        return out
    }

    /// Compact canonical JSON as bytes.
    public var canonicalData: Data { Data(canonicalString.utf8) }

    private func writeCanonical(into out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let value): out += value ? "true" : "false"
        case .number(let value): out += Self.format(value)
        case .string(let value): Self.writeString(value, into: &out)
        case .array(let values):
            out += "["
            for (index, value) in values.enumerated() {
                if index > 0 { out += "," }
                value.writeCanonical(into: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { out += "," }
                Self.writeString(key, into: &out)
                out += ":"
                members[key]!.writeCanonical(into: &out)
            }
            out += "}"
        }
    }

    private static func format(_ value: Double) -> String {
        if value.isFinite, value == value.rounded(), abs(value) < 1e15 {
            return String(Int64(value))
        }
        return "\(value)"
    }

    private static func writeString(_ value: String, into out: inout String) {
        out += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }

    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    public subscript(index: Int) -> JSONValue? {
        if case .array(let values) = self, values.indices.contains(index) { return values[index] }
        return nil
    }

    /// The string payload, if this is a string.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The Boolean payload, if this is a Boolean.
    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The numeric payload, if this is a number.
    public var doubleValue: Double? {
        if case .number(let value) = self { return value }
        return nil
    }

    /// The numeric payload as an integer, if this is an integral number that `Int` holds (1e300 is not).
    public var intValue: Int? {
        if case .number(let value) = self { return Int(exactly: value) }
        return nil
    }

    /// The array payload, if this is an array.
    public var arrayValue: [JSONValue]? {
        if case .array(let values) = self { return values }
        return nil
    }

    /// The object payload, if this is an object.
    public var objectValue: [String: JSONValue]? {
        if case .object(let members) = self { return members }
        return nil
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    public init(nilLiteral: ()) { self = .null }
}

extension JSONValue {
    /// Leaf-level differences between two documents, as `path: left -> right` lines.
    public func differences(from other: JSONValue, path: String = "$") -> [String] {
        switch (self, other) {
        case (.object(let mine), .object(let theirs)):
            var lines: [String] = []
            for key in Set(mine.keys).union(theirs.keys).sorted() {
                let childPath = "\(path).\(key)"
                switch (mine[key], theirs[key]) {
                case (let left?, let right?): lines += left.differences(from: right, path: childPath)
                case (let left?, nil): lines.append("\(childPath): \(left.preview) -> (absent)")
                case (nil, let right?): lines.append("\(childPath): (absent) -> \(right.preview)")
                case (nil, nil): break
                }
            }
            return lines
        case (.array(let mine), .array(let theirs)):
            var lines: [String] = []
            for index in 0..<max(mine.count, theirs.count) {
                let childPath = "\(path)[\(index)]"
                if index < mine.count, index < theirs.count {
                    lines += mine[index].differences(from: theirs[index], path: childPath)
                } else if index < mine.count {
                    lines.append("\(childPath): \(mine[index].preview) -> (absent)")
                } else {
                    lines.append("\(childPath): (absent) -> \(theirs[index].preview)")
                }
            }
            return lines
        default:
            return self == other ? [] : ["\(path): \(preview) -> \(other.preview)"]
        }
    }

    /// A short rendering for messages: long strings are cut with an ellipsis.
    public var preview: String {
        let text = canonicalString
        return text.count > 120 ? String(text.prefix(117)) + "..." : text
    }
}
