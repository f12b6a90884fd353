import Foundation

/// One row of a sheet: its number as the sheet shows it (from 1) and its non-empty cells by column (from 0).
public struct SpreadsheetRow: Sendable, Equatable {
    public var number: Int
    public var cells: [Int: String]

    public init(number: Int, cells: [Int: String]) {
        self.number = number
        self.cells = cells
    }
}

/// One sheet of a workbook, rows in order (empty rows left out).
public struct SpreadsheetSheet: Sendable, Equatable {
    public var name: String
    public var rows: [SpreadsheetRow]

    public init(name: String, rows: [SpreadsheetRow]) {
        self.name = name
        self.rows = rows
    }
}

/// Reads the sheets of a workbook; the XLSX reader in service.
public protocol SpreadsheetReader: Sendable {
    func sheets(of data: Data) throws -> [SpreadsheetSheet]
}

/// Why a workbook could not be read; each case says what the user can do.
public enum SpreadsheetError: Error, Equatable, Sendable, CustomStringConvertible, ConversationFailure {
    /// Not a ZIP archive holding a workbook (a damaged file, an old .xls, or not a spreadsheet at all).
    case unreadable
    /// A part of the workbook is malformed XML.
    case malformed(part: String)
    /// Unpacked, the workbook would exceed the limit (a ZIP bomb, or simply too big).
    case tooLarge(limit: Int)
    /// No sheet holds a non-empty cell.
    case empty

    public var description: String {
        switch self {
        case .unreadable: return "the file is not a readable XLSX workbook (damaged, an old .xls, or not a spreadsheet); save it as .xlsx and upload it again"
        case .malformed(let part): return "the workbook's \(part) is malformed; open and save it again in a spreadsheet program"
        case .tooLarge(let limit): return "the workbook unpacks to more than \(limit / 1024 / 1024) MB; split it into smaller files"
        case .empty: return "the workbook's sheets hold no text"
        }
    }

    public var code: String {
        switch self {
        case .unreadable: return "unreadable_workbook"
        case .malformed: return "malformed_workbook"
        case .tooLarge: return "too_large"
        case .empty: return "empty"
        }
    }

    public var userMessage: String { description }
}
