import Crypto
import Foundation

/// Alibaba Cloud OSS's request signature (version 1, HMAC-SHA1, as its SDKs compute it): the `Authorization` header
/// of an upload and a signed link for reading a private object.
public struct OSSSigner: Sendable {
    public let accessKeyID: String
    public let accessKeySecret: String

    public init(accessKeyID: String, accessKeySecret: String) {
        self.accessKeyID = accessKeyID
        self.accessKeySecret = accessKeySecret
    }

    /// The `Authorization` header for a request on `/bucket/key` sent with these `Content-Type` and `Date` headers.
    public func authorization(
        method: String, bucket: String, key: String, contentType: String, date: String, contentMD5: String = ""
    ) -> String {
        "OSS \(accessKeyID):" + signature([method, contentMD5, contentType, date, "/\(bucket)/\(key)"].joined(separator: "\n"))
    }

    /// A link that lets anyone read `/bucket/key` at `objectURL` until `expires`.
    public func signedURL(objectURL: URL, bucket: String, key: String, expires: Date) -> URL {
        let expiry = String(Int(expires.timeIntervalSince1970))
        let signed = signature(["GET", "", "", expiry, "/\(bucket)/\(key)"].joined(separator: "\n"))
        let query = "OSSAccessKeyId=\(accessKeyID.rfc3986Encoded)&Expires=\(expiry)&Signature=\(signed.rfc3986Encoded)"
        return URL(string: objectURL.absoluteString + "?" + query) ?? objectURL
    }

    /// The `Date` header form OSS signs: RFC 1123 in GMT.
    public static func httpDate(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.string(from: date)
    }

    private func signature(_ text: String) -> String {
        Data(HMAC<Insecure.SHA1>.authenticationCode(for: Data(text.utf8), using: SymmetricKey(data: Data(accessKeySecret.utf8))))
            .base64EncodedString()
    }
}
