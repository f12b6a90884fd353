import Foundation

extension Sequence where Element == UInt8 {
    /// Lower-case hexadecimal, two digits a byte: how digests and signatures are written out.
    var hexString: String { map { String(format: "%02x", $0) }.joined() }
}

extension String {
    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")

    /// Percent-encoded except RFC 3986's unreserved characters, as request signatures canonicalise queries.
    var rfc3986Encoded: String { addingPercentEncoding(withAllowedCharacters: Self.unreserved) ?? self }
}
