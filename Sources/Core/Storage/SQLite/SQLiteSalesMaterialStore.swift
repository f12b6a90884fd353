import Foundation

/// The copilot's sales materials in the embedded SQLite database; the units are one JSON column, written with the
/// material in one statement, so an upload is stored whole or not at all.
public struct SQLiteSalesMaterialStore: SalesMaterialStore {
    public let database: SQLiteDatabase

    public init(database: SQLiteDatabase) { self.database = database }

    static let columns = "id, file_name, md5, format, units, created_at"

    public func salesMaterials() async throws -> [SalesMaterial] {
        try await database.read { try $0.query("SELECT \(Self.columns) FROM sales_materials ORDER BY id").map(Self.record) }
    }

    public func salesMaterialIDs() async throws -> [Int] {
        try await database.read { try $0.query("SELECT id FROM sales_materials ORDER BY id").map { try $0.int(0, "sales_materials.id") } }
    }

    public func salesMaterial(md5: String) async throws -> SalesMaterial? {
        try await database.read {
            try $0.query("SELECT \(Self.columns) FROM sales_materials WHERE md5 = ?", [.text(md5)]).first.map(Self.record)
        }
    }

    public func createSalesMaterial(_ material: SalesMaterial) async throws -> SalesMaterial {
        let units = try StoreJSON.encode(material.units)
        return try await database.write { connection in
            if try !connection.query("SELECT 1 FROM sales_materials WHERE md5 = ?", [.text(material.md5)]).isEmpty {
                throw DuplicateKey(key: "sales material with md5 \(material.md5)")
            }
            try connection.query(
                "INSERT INTO sales_materials (file_name, md5, format, units, created_at) VALUES (?, ?, ?, ?, ?)",
                [.text(material.fileName), .text(material.md5), .text(material.format.rawValue), .text(units), .real(material.createdAt.timeIntervalSince1970)])
            var stored = material
            stored.id = Int(connection.lastInsertRowID)
            return stored
        }
    }

    public func deleteSalesMaterial(id: Int) async throws -> Bool {
        try await database.write { connection in
            guard try !connection.query("SELECT 1 FROM sales_materials WHERE id = ?", [.integer(Int64(id))]).isEmpty else { return false }
            try connection.query("DELETE FROM sales_materials WHERE id = ?", [.integer(Int64(id))])
            return true
        }
    }

    static func record(_ row: [SQLiteValue]) throws -> SalesMaterial {
        let format = try row.string(3, "sales_materials.format")
        guard let parsed = SalesMaterial.Format(rawValue: format) else {
            throw StoreError.corruptRow(column: "sales_materials.format", found: format, expected: "pdf or xlsx")
        }
        return SalesMaterial(
            id: try row.int(0, "sales_materials.id"), fileName: try row.string(1, "sales_materials.file_name"),
            md5: try row.string(2, "sales_materials.md5"), format: parsed,
            units: try StoreJSON.decode([SalesMaterialUnit].self, try row.string(4, "sales_materials.units"), column: "sales_materials.units"),
            createdAt: Date(timeIntervalSince1970: try row.double(5, "sales_materials.created_at")))
    }
}
