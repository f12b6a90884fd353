import Foundation
import Hummingbird
import VividCrowdCore

extension Response {
    /// A JSON response from a `JSONValue`.
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: value.canonicalString)))
    }

    /// A JSON response from an `Encodable` value.
    static func json<Value: Encodable>(encoding value: Value, status: HTTPResponse.Status = .ok) throws -> Response {
        Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(data: try APIJSON.encoder.encode(value))))
    }

    /// An error in FastAPI's shape, `{"detail": "..."}`, which the original's clients read.
    static func error(_ status: HTTPResponse.Status, _ detail: String) -> Response {
        json(["detail": .string(detail)], status: status)
    }

    /// A static asset.
    static func asset(_ text: String, contentType: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: contentType, .cacheControl: "no-cache"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

/// The JSON coding the API uses: sorted keys, ISO 8601 dates.
enum APIJSON {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    /// `value` as one line of JSON text.
    static func string<Value: Encodable>(_ value: Value) throws -> String {
        String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
