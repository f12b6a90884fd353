import Foundation
import VividCrowdCore
import ZIPFoundation

#if canImport(FoundationXML)
import FoundationXML
#endif

/// Reads the sheets of an XLSX workbook: ZIPFoundation opens the archive, FoundationXML's streaming parser reads the
/// workbook, its relationships, the shared strings and each sheet. Cell values are shown as text (numbers in their
/// shortest form, booleans as TRUE/FALSE); formulas give their cached value. Unpacking is bounded, so a ZIP bomb is
/// refused instead of filling memory.
public struct XLSXReader: SpreadsheetReader {
    /// Most bytes the workbook's parts may unpack to, together.
    public var maximumUnpackedBytes: Int

    public init(maximumUnpackedBytes: Int = 256 * 1024 * 1024) {
        self.maximumUnpackedBytes = maximumUnpackedBytes
    }

    public func sheets(of data: Data) throws -> [SpreadsheetSheet] {
        let archive: Archive
        do {
            archive = try Archive(data: data, accessMode: .read)
        } catch {
            throw SpreadsheetError.unreadable
        }
        var budget = maximumUnpackedBytes
        func part(_ path: String) throws -> Data? {
            guard let entry = archive[path] else { return nil }
            guard entry.uncompressedSize <= UInt64(budget) else { throw SpreadsheetError.tooLarge(limit: maximumUnpackedBytes) }
            var contents = Data()
            do {
                _ = try archive.extract(entry) { chunk in
                    contents.append(chunk)
                    // The declared size can lie; the bytes actually unpacked are what count.
                    if contents.count > budget { throw SpreadsheetError.tooLarge(limit: maximumUnpackedBytes) }
                }
            } catch let error as SpreadsheetError {
                throw error
            } catch {
                throw SpreadsheetError.unreadable
            }
            budget -= contents.count
            return contents
        }
        guard let workbook = try part("xl/workbook.xml") else { throw SpreadsheetError.unreadable }
        let sheets = try WorkbookSheetsParser.parse(workbook)
        let targets = try part("xl/_rels/workbook.xml.rels").map(RelationshipsParser.parse) ?? [:]
        let shared = try part("xl/sharedStrings.xml").map(SharedStringsParser.parse) ?? []
        var result: [SpreadsheetSheet] = []
        for (index, sheet) in sheets.enumerated() {
            let target = targets[sheet.relationship] ?? "worksheets/sheet\(index + 1).xml"
            let path = target.hasPrefix("/") ? String(target.dropFirst()) : "xl/" + target
            guard let xml = try part(path) else { continue }
            let rows = try WorksheetParser.parse(xml, sharedStrings: shared, part: path)
            result.append(SpreadsheetSheet(name: sheet.name, rows: rows))
        }
        guard result.contains(where: { !$0.rows.isEmpty }) else { throw SpreadsheetError.empty }
        return result
    }
}

/// A SAX pass over one XML part; subclasses collect what they need by overriding `start` and `end` (on Linux the
/// delegate protocol's methods have default implementations, so a subclass's own delegate methods would never be called).
private class PartParser: NSObject, XMLParserDelegate {
    var text = ""
    var collecting = false
    /// libxml2 recovers from some errors and still reports success; an error seen at all fails the part.
    var failed = false

    func run(_ data: Data, part: String) throws {
        let parser = XMLParser(data: data)
        parser.shouldResolveExternalEntities = false
        parser.delegate = self
        guard parser.parse(), !failed else { throw SpreadsheetError.malformed(part: part) }
    }

    func parser(_ parser: XMLParser, parseErrorOccurred parseError: any Error) {
        failed = true
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if collecting { text += string }
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        start(Self.local(name), attributes: attributes)
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        end(Self.local(name))
    }

    /// An element opens (its local name).
    func start(_ element: Substring, attributes: [String: String]) {}

    /// An element closes.
    func end(_ element: Substring) {}

    /// The local name of an element (the parser reports prefixed names when namespaces are not processed).
    static func local(_ name: String) -> Substring {
        name.split(separator: ":").last ?? Substring(name)
    }
}

/// `xl/workbook.xml`: the sheets in order, with their relationship ids.
private final class WorkbookSheetsParser: PartParser {
    var sheets: [(name: String, relationship: String)] = []

    static func parse(_ data: Data) throws -> [(name: String, relationship: String)] {
        let parser = WorkbookSheetsParser()
        try parser.run(data, part: "workbook")
        return parser.sheets
    }

    override func start(_ element: Substring, attributes: [String: String]) {
        guard element == "sheet" else { return }
        let relationship = attributes.first { Self.local($0.key) == "id" }?.value ?? ""
        sheets.append((attributes["name"] ?? "Sheet\(sheets.count + 1)", relationship))
    }
}

/// `xl/_rels/workbook.xml.rels`: relationship id to target path.
private final class RelationshipsParser: PartParser {
    var targets: [String: String] = [:]

    static func parse(_ data: Data) throws -> [String: String] {
        let parser = RelationshipsParser()
        try parser.run(data, part: "relationships")
        return parser.targets
    }

    override func start(_ element: Substring, attributes: [String: String]) {
        guard element == "Relationship", let id = attributes["Id"], let target = attributes["Target"] else { return }
        targets[id] = target
    }
}

/// `xl/sharedStrings.xml`: each `si`'s text, its runs joined, phonetic hints left out.
private final class SharedStringsParser: PartParser {
    var strings: [String] = []
    var current = ""
    var inPhonetic = false

    static func parse(_ data: Data) throws -> [String] {
        let parser = SharedStringsParser()
        try parser.run(data, part: "shared strings")
        return parser.strings
    }

    override func start(_ element: Substring, attributes: [String: String]) {
        switch element {
        case "si": current = ""
        case "rPh": inPhonetic = true
        case "t" where !inPhonetic:
            text = ""
            collecting = true
        default: break
        }
    }

    override func end(_ element: Substring) {
        switch element {
        case "si": strings.append(current)
        case "rPh": inPhonetic = false
        case "t" where collecting:
            current += text
            collecting = false
        default: break
        }
    }
}

/// A worksheet's cells, row by row.
private final class WorksheetParser: PartParser {
    let sharedStrings: [String]
    var rows: [SpreadsheetRow] = []
    var rowNumber = 0
    var cells: [Int: String] = [:]
    var column = 0
    var type = ""
    var value = ""
    var inline = ""
    var invalidSharedString = false

    init(sharedStrings: [String]) { self.sharedStrings = sharedStrings }

    static func parse(_ data: Data, sharedStrings: [String], part: String) throws -> [SpreadsheetRow] {
        let parser = WorksheetParser(sharedStrings: sharedStrings)
        try parser.run(data, part: part)
        guard !parser.invalidSharedString else { throw SpreadsheetError.malformed(part: part) }
        return parser.rows
    }

    /// Column index from a cell reference ("C12" → 2).
    static func column(of reference: String) -> Int? {
        var index = 0
        var letters = 0
        for scalar in reference.unicodeScalars {
            guard (65...90).contains(scalar.value) || (97...122).contains(scalar.value) else { break }
            index = index * 26 + Int((scalar.value & ~0x20) - 64)
            letters += 1
            guard letters <= 3 else { return nil }
        }
        return letters == 0 ? nil : index - 1
    }

    override func start(_ element: Substring, attributes: [String: String]) {
        switch element {
        case "row":
            rowNumber = attributes["r"].flatMap(Int.init) ?? rowNumber + 1
            cells = [:]
            column = 0
        case "c":
            if let reference = attributes["r"], let parsed = Self.column(of: reference) { column = parsed }
            type = attributes["t"] ?? "n"
            value = ""
            inline = ""
        case "v":
            text = ""
            collecting = true
        case "t" where type == "inlineStr":
            text = ""
            collecting = true
        default: break
        }
    }

    override func end(_ element: Substring) {
        switch element {
        case "v":
            value = text
            collecting = false
        case "t" where collecting:
            inline += text
            collecting = false
        case "c":
            let shown = display()
            let trimmed = shown.trimmingCharacters(in: .whitespacesAndNewlines)
            if !trimmed.isEmpty { cells[column] = trimmed }
            column += 1
        case "row":
            if !cells.isEmpty { rows.append(SpreadsheetRow(number: rowNumber, cells: cells)) }
        default: break
        }
    }

    func display() -> String {
        switch type {
        case "s":
            guard let index = Int(value.trimmingCharacters(in: .whitespaces)) else { return "" }
            guard sharedStrings.indices.contains(index) else {
                invalidSharedString = true
                return ""
            }
            return sharedStrings[index]
        case "inlineStr": return inline
        case "b": return value == "1" ? "TRUE" : value == "0" ? "FALSE" : value
        case "str", "e": return value
        default:
            guard let number = Double(value.trimmingCharacters(in: .whitespaces)), number.isFinite else { return value }
            if number == number.rounded(), abs(number) < 1e15 { return String(Int64(number)) }
            return String(number)
        }
    }
}
