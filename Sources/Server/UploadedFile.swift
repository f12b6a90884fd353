import Foundation
import VividCrowdWire

/// The file a request uploads: a multipart form's field of one of the accepted names (with the form's other
/// fields), or the raw body when the request is not a form.
struct UploadedFile {
    struct Invalid: Error, CustomStringConvertible { var description: String }

    var data: Data
    var fileName: String?
    /// The form's other fields by name (empty for a raw body).
    var fields: [String: Data] = [:]
    /// Whether the request was a multipart form.
    var isForm = false

    /// Reads `body`; `what` names the file in the error when no field of `names` holds it.
    static func read(_ body: Data, contentType: String?, names: [String], what: String) throws -> UploadedFile {
        guard contentType?.lowercased().hasPrefix("multipart/form-data") == true else { return UploadedFile(data: body) }
        let parts: [MultipartPart]
        do {
            parts = try MultipartForm.parts(body, boundary: try MultipartForm.boundary(contentType: contentType))
        } catch let error as MultipartError {
            throw Invalid(description: error.description)
        }
        guard let file = parts.first(where: { names.contains($0.name) }) else {
            throw Invalid(description: "the upload has no field named \"\(names[0])\" holding \(what)")
        }
        var fields: [String: Data] = [:]
        for part in parts where !names.contains(part.name) && fields[part.name] == nil { fields[part.name] = part.body }
        return UploadedFile(data: file.body, fileName: file.fileName, fields: fields, isForm: true)
    }
}
