import Crypto
import Foundation

/// Volcano Engine's request signature (its "V4" HMAC-SHA256 scheme, as the vendor's SDKs compute it): the headers a
/// request to an OpenAPI endpoint such as `visual.volcengineapi.com` must carry.
public struct VolcengineSigner: Sendable {
    public let accessKey: String
    public let secretKey: String
    public let region: String
    public let service: String

    public init(accessKey: String, secretKey: String, region: String = "cn-north-1", service: String = "cv") {
        self.accessKey = accessKey
        self.secretKey = secretKey
        self.region = region
        self.service = service
    }

    /// The `X-Date`, `X-Content-Sha256` and `Authorization` headers for a request; `headers` are the ones sent and
    /// signed besides those (`Content-Type`, `Host`).
    public func sign(
        method: String, path: String = "/", query: [String: String], headers: [String: String], body: Data, date: Date
    ) -> [String: String] {
        let stamp = Self.stamp(date)
        let day = String(stamp.prefix(8))
        let bodyHash = SHA256.hash(data: body).hexString
        var signed: [String: String] = [:]
        for (name, value) in headers { signed[name.lowercased()] = value.trimmingCharacters(in: .whitespaces) }
        signed["x-date"] = stamp
        signed["x-content-sha256"] = bodyHash
        if let host = signed["host"], host.hasSuffix(":443") || host.hasSuffix(":80") {
            signed["host"] = String(host[..<host.lastIndex(of: ":")!])
        }
        let names = signed.keys.sorted()
        let canonicalHeaders = names.map { "\($0):\(signed[$0]!)\n" }.joined()
        let signedHeaders = names.joined(separator: ";")
        let canonicalRequest = [
            method.uppercased(), Self.encodePath(path), Self.canonicalQuery(query), canonicalHeaders, signedHeaders, bodyHash,
        ].joined(separator: "\n")
        let scope = "\(day)/\(region)/\(service)/request"
        let stringToSign = ["HMAC-SHA256", stamp, scope, SHA256.hash(data: Data(canonicalRequest.utf8)).hexString]
            .joined(separator: "\n")
        var key = SymmetricKey(data: Data(secretKey.utf8))
        for part in [day, region, service, "request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
        }
        let signature = HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: key).hexString
        return [
            "X-Date": stamp, "X-Content-Sha256": bodyHash,
            "Authorization": "HMAC-SHA256 Credential=\(accessKey)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)",
        ]
    }

    /// The query string as signed (and sent): keys sorted, RFC 3986 unreserved characters kept.
    public static func canonicalQuery(_ query: [String: String]) -> String {
        query.keys.sorted().map { "\($0.rfc3986Encoded)=\(query[$0]!.rfc3986Encoded)" }.joined(separator: "&")
    }

    static func stamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return formatter.string(from: date)
    }

    private static func encodePath(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { String($0).rfc3986Encoded }.joined(separator: "/")
    }
}
