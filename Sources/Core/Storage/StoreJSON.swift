import Foundation

/// JSON columns of every database backend: values encoded with sorted keys, and rows that do not decode reported as
/// corrupt, naming the column.
public enum StoreJSON {
    /// The value as JSON text with sorted keys.
    public static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// The value a JSON column holds; `StoreError.corruptRow` naming `column` when it does not decode.
    public static func decode<T: Decodable>(_ type: T.Type, _ text: String, column: String) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(text.utf8))
        } catch {
            throw StoreError.corruptRow(column: column, found: String(text.prefix(80)), expected: "JSON of \(T.self)")
        }
    }
}
