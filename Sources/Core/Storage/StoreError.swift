/// A failure of the store itself, whatever its backend.
public enum StoreError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A stored row does not hold what the schema says: the database was changed by hand or is damaged.
    case corruptRow(column: String, found: String, expected: String)
    /// `DATABASE_URL` names a backend this build cannot open.
    case unsupportedURL(scheme: String, supported: [String])
    /// The database's schema is newer than this build knows.
    case schemaTooNew(found: Int, known: Int)
    /// This backend is backed up by another tool; `hint` says which.
    case backupElsewhere(hint: String)
    /// A backup would overwrite a file that exists.
    case backupExists(path: String)

    public var description: String {
        switch self {
        case .corruptRow(let column, let found, let expected):
            return "corrupt row: \(column) holds \(found), expected \(expected)"
        case .unsupportedURL(let scheme, let supported):
            return "DATABASE_URL scheme \"\(scheme)\" is not available in this build; use one of: "
                + supported.joined(separator: ", ")
        case .schemaTooNew(let found, let known):
            return "the database is at schema version \(found), newer than this build's \(known); upgrade VividCrowd"
        case .backupElsewhere(let hint):
            return hint
        case .backupExists(let path):
            return "\(path) exists; back up to a new file"
        }
    }
}
