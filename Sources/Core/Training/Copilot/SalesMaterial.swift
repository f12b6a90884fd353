import Foundation

/// One retrievable unit of a sales material: a spreadsheet row or block of rows (its sheet and row numbers) or a
/// passage of a PDF (its pages).
public struct SalesMaterialUnit: Sendable, Codable, Equatable {
    /// Position in the material, from 0.
    public var index: Int
    public var text: String
    public var sheet: String?
    /// The sheet's row numbers (from 1) the unit holds.
    public var rows: ClosedRange<Int>?
    public var pages: ClosedRange<Int>?
    /// Characters at the start of `text` carried over from the unit before (a PDF chunk's overlap); nil for none.
    public var overlap: Int?

    public init(
        index: Int, text: String, sheet: String? = nil, rows: ClosedRange<Int>? = nil, pages: ClosedRange<Int>? = nil,
        overlap: Int? = nil
    ) {
        self.index = index
        self.text = text
        self.sheet = sheet
        self.rows = rows
        self.pages = pages
        self.overlap = overlap
    }

    /// The text without the overlap carried from the unit before: what the unit is ranked by, so that a unit does not
    /// win a question with a sentence its neighbour holds.
    public var ownText: Substring { text.dropFirst(overlap ?? 0) }

    /// Where the unit is, for people: "sheet 价格, row 4", "sheet 价格, rows 3–4", "page 3" or "pages 3–4".
    public func location(chinese: Bool) -> String {
        func span(_ range: ClosedRange<Int>, one: String, many: String) -> String {
            range.count == 1 ? "\(one) \(range.lowerBound)" : "\(many) \(range.lowerBound)–\(range.upperBound)"
        }
        if let sheet, let rows {
            if chinese { return "工作表「\(sheet)」第 \(rows.count == 1 ? "\(rows.lowerBound)" : "\(rows.lowerBound)–\(rows.upperBound)") 行" }
            return "sheet \(sheet), " + span(rows, one: "row", many: "rows")
        }
        if let pages {
            if chinese { return "第 \(pages.count == 1 ? "\(pages.lowerBound)" : "\(pages.lowerBound)–\(pages.upperBound)") 页" }
            return span(pages, one: "page", many: "pages")
        }
        return ""
    }
}

/// An uploaded sales material (PDF or XLSX) with its units.
public struct SalesMaterial: Sendable, Codable, Equatable {
    public enum Format: String, Sendable, Codable { case pdf, xlsx }

    public var id: Int
    public var fileName: String
    /// MD5 of the uploaded bytes: the same bytes again are the same material.
    public var md5: String
    public var format: Format
    public var units: [SalesMaterialUnit]
    public var createdAt: Date

    public init(id: Int = 0, fileName: String, md5: String, format: Format, units: [SalesMaterialUnit], createdAt: Date) {
        self.id = id
        self.fileName = fileName
        self.md5 = md5
        self.format = format
        self.units = units
        self.createdAt = createdAt
    }
}

/// The copilot's sales materials.
public protocol SalesMaterialStore: Sendable {
    /// Every material, oldest first.
    func salesMaterials() async throws -> [SalesMaterial]
    /// The ids of every material, oldest first (without reading their units).
    func salesMaterialIDs() async throws -> [Int]
    /// The material made from these exact bytes, if any.
    func salesMaterial(md5: String) async throws -> SalesMaterial?
    /// Stores a material (its `id` is assigned) with its units, at once; the same bytes twice are a `DuplicateKey`.
    func createSalesMaterial(_ material: SalesMaterial) async throws -> SalesMaterial
    /// Deletes a material; false when there was no such material.
    func deleteSalesMaterial(id: Int) async throws -> Bool
}

/// Sales materials in memory, with the same semantics as the database backends.
public actor InMemorySalesMaterialStore: SalesMaterialStore {
    private var records: [Int: SalesMaterial] = [:]
    private var nextID = 1

    public init() {}

    public func salesMaterials() -> [SalesMaterial] { records.values.sorted { $0.id < $1.id } }

    public func salesMaterialIDs() -> [Int] { records.keys.sorted() }

    public func salesMaterial(md5: String) -> SalesMaterial? { records.values.first { $0.md5 == md5 } }

    public func createSalesMaterial(_ material: SalesMaterial) throws -> SalesMaterial {
        guard records.values.allSatisfy({ $0.md5 != material.md5 }) else { throw DuplicateKey(key: "sales material with md5 \(material.md5)") }
        var stored = material
        stored.id = nextID
        nextID += 1
        records[stored.id] = stored
        return stored
    }

    public func deleteSalesMaterial(id: Int) -> Bool { records.removeValue(forKey: id) != nil }
}
