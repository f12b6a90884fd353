import Crypto
import Foundation

/// How audio travels inside the JSON bodies transports and cassettes carry.
///
/// An upload is a `file` object (`name`, `content_type`, `data_base64`) that the HTTP transport sends as a multipart
/// file part, or a `data:` URL inside a DashScope message; a binary reply is `{"content_type", "audio_base64"}`.
/// A cassette keeps an upload as its SHA-256 only, so a recording holds no user's voice and stays small, and a
/// download's URL without its query, which carries the storage service's signature.
public enum BinaryBody {
    /// A file part of a multipart upload.
    public static func file(_ data: Data, name: String, contentType: String) -> JSONValue {
        .object([
            "name": .string(name), "content_type": .string(contentType), "data_base64": .string(data.base64EncodedString()),
        ])
    }

    /// The bytes of a `file` object, with its name and media type.
    public static func fileParts(_ file: JSONValue?) -> (data: Data, name: String, contentType: String)? {
        guard let encoded = file?["data_base64"]?.stringValue, let data = Data(base64Encoded: encoded) else { return nil }
        return (
            data, file?["name"]?.stringValue ?? "audio",
            file?["content_type"]?.stringValue ?? "application/octet-stream"
        )
    }

    /// A binary reply in its JSON form.
    public static func reply(_ data: Data, contentType: String) -> JSONValue {
        .object(["content_type": .string(contentType), "audio_base64": .string(data.base64EncodedString())])
    }

    /// The bytes and media type of a binary reply, or nil when `reply` is not one.
    public static func bytes(of reply: JSONValue) -> (data: Data, contentType: String)? {
        guard let encoded = reply["audio_base64"]?.stringValue, let data = Data(base64Encoded: encoded) else { return nil }
        return (data, reply["content_type"]?.stringValue ?? "application/octet-stream")
    }

    /// `data` as a `data:` URL, the form DashScope's speech models take audio in.
    public static func dataURL(_ data: Data, contentType: String) -> String {
        "data:\(contentType);base64,\(data.base64EncodedString())"
    }

    /// The request as a cassette keys and stores it: uploads replaced by their digest and size (an object upload
    /// without its generated name), a download's URL without its query and fragment.
    static func compact(_ endpoint: LLMEndpoint, _ request: JSONValue) -> JSONValue {
        if endpoint == .download, var object = request.objectValue, let url = object["url"]?.stringValue,
            var components = URLComponents(string: url)
        {
            components.query = nil
            components.fragment = nil
            object["url"] = .string(components.string ?? url)
            return .object(object)
        }
        if endpoint == .objectPut, var object = request.objectValue {
            // The object's name is the media store's random id: an upload is known by its bucket and contents.
            object["url"] = nil
            object["key"] = nil
            if var file = object["file"]?.objectValue {
                file["name"] = nil
                object["file"] = .object(file)
            }
            return digestingUploads(.object(object))
        }
        // Chat and embedding bodies are kept as they are: a user's message may well start with "data:".
        guard endpoint == .audioTranscriptions || endpoint == .dashScopeGeneration else { return request }
        return digestingUploads(request)
    }

    /// A reply as a cassette stores it: links signed for a storage service (a `Signature` in the query) without
    /// their query, since the signature is a credential; replay then downloads the same link as `compact` keys it.
    static func compactReply(_ endpoint: LLMEndpoint, _ reply: JSONValue) -> JSONValue {
        [.dashScopeGeneration, .dashScopeTask, .volcengineResult].contains(endpoint) ? unsigned(reply) : reply
    }

    private static func unsigned(_ reply: JSONValue) -> JSONValue {
        switch reply {
        case .object(let members): return .object(members.mapValues(unsigned))
        case .array(let values): return .array(values.map(unsigned))
        case .string(let text):
            guard text.hasPrefix("http"), text.lowercased().contains("signature="), var components = URLComponents(string: text)
            else { return reply }
            components.query = nil
            return .string(components.string ?? text)
        default: return reply
        }
    }

    private static func digestingUploads(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(var members):
            if let encoded = members["data_base64"]?.stringValue {
                let data = Data(base64Encoded: encoded) ?? Data(encoded.utf8)
                members["data_base64"] = nil
                members["sha256"] = .string(digest(data))
                members["bytes"] = .number(Double(data.count))
                return .object(members)
            }
            return .object(members.mapValues(digestingUploads))
        case .array(let values):
            return .array(values.map(digestingUploads))
        case .string(let text):
            guard text.hasPrefix("data:"), let marker = text.range(of: ";base64,") else { return value }
            let data = Data(base64Encoded: String(text[marker.upperBound...])) ?? Data(text.utf8)
            return .string("\(text[..<marker.lowerBound]);sha256,\(digest(data));bytes,\(data.count)")
        default:
            return value
        }
    }

    private static func digest(_ data: Data) -> String {
        SHA256.hash(data: data).hexString
    }
}

/// A `multipart/form-data` body: text fields, then one file part.
public struct MultipartForm: Sendable {
    public let boundary: String
    public private(set) var body = Data()

    /// An empty form with a boundary that cannot occur in base64 or the field values VividCrowd sends.
    public init(boundary: String = "vividcrowd-" + UUID().uuidString) {
        self.boundary = boundary
    }

    /// The `Content-Type` header value.
    public var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    /// Adds a text field.
    public mutating func add(field name: String, value: String) {
        body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(Self.quoted(name))\"\r\n\r\n".utf8))
        body.append(Data(value.utf8))
        body.append(Data("\r\n".utf8))
    }

    /// Adds a file part.
    public mutating func add(file data: Data, field name: String, fileName: String, contentType: String) {
        body.append(
            Data(
                ("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(Self.quoted(name))\"; "
                    + "filename=\"\(Self.quoted(fileName))\"\r\nContent-Type: \(Self.quoted(contentType))\r\n\r\n").utf8))
        body.append(data)
        body.append(Data("\r\n".utf8))
    }

    /// The finished body.
    public var encoded: Data { body + Data("--\(boundary)--\r\n".utf8) }

    /// Header parameter text without quotes or line breaks, which would end it early.
    private static func quoted(_ text: String) -> String {
        String(text.unicodeScalars.filter { $0 != "\"" && $0 != "\r" && $0 != "\n" }.map(Character.init))
    }

    /// The form an `audio/transcriptions` body describes: its scalar members as fields, its `file` as the file part.
    static func transcription(_ body: JSONValue) throws -> MultipartForm {
        guard let members = body.objectValue, let file = BinaryBody.fileParts(members["file"]) else {
            throw LLMError.badRequest(status: 0, message: "a transcription request needs a file")
        }
        var form = MultipartForm()
        for (name, value) in members.sorted(by: { $0.key < $1.key }) where name != "file" {
            switch value {
            case .string(let text): form.add(field: name, value: text)
            case .number, .bool: form.add(field: name, value: value.canonicalString)
            default: continue
            }
        }
        form.add(file: file.data, field: "file", fileName: file.name, contentType: file.contentType)
        return form
    }
}
