import Foundation

/// Sales training's customers in the embedded SQLite database.
public struct SQLiteCustomerStore: CustomerStore {
    public let database: SQLiteDatabase

    public init(database: SQLiteDatabase) { self.database = database }

    public func customers() async throws -> [CustomerRecord] {
        try await database.read { try $0.query("SELECT id, profile, file_name, md5, created_at FROM customers ORDER BY id").map(Self.record) }
    }

    public func customer(id: Int) async throws -> CustomerRecord? {
        try await database.read {
            try $0.query("SELECT id, profile, file_name, md5, created_at FROM customers WHERE id = ?", [.integer(Int64(id))]).first.map(Self.record)
        }
    }

    public func customer(md5: String) async throws -> CustomerRecord? {
        try await database.read {
            try $0.query("SELECT id, profile, file_name, md5, created_at FROM customers WHERE md5 = ?", [.text(md5)]).first.map(Self.record)
        }
    }

    public func createCustomer(_ customer: CustomerRecord) async throws -> CustomerRecord {
        let profile = try StoreJSON.encode(customer.profile)
        return try await database.write { connection in
            if try !connection.query("SELECT 1 FROM customers WHERE md5 = ?", [.text(customer.md5)]).isEmpty {
                throw DuplicateKey(key: "customer with md5 \(customer.md5)")
            }
            try connection.query(
                "INSERT INTO customers (name, profile, file_name, md5, created_at) VALUES (?, ?, ?, ?, ?)",
                [.text(customer.name), .text(profile), .text(customer.fileName), .text(customer.md5), .real(customer.createdAt.timeIntervalSince1970)])
            var stored = customer
            stored.id = Int(connection.lastInsertRowID)
            return stored
        }
    }

    public func deleteCustomer(id: Int) async throws -> Bool {
        try await database.write { connection in
            guard try !connection.query("SELECT 1 FROM customers WHERE id = ?", [.integer(Int64(id))]).isEmpty else { return false }
            try connection.query("DELETE FROM customers WHERE id = ?", [.integer(Int64(id))])
            return true
        }
    }

    static func record(_ row: [SQLiteValue]) throws -> CustomerRecord {
        CustomerRecord(
            id: try row.int(0, "customers.id"),
            profile: try StoreJSON.decode(CustomerProfile.self, try row.string(1, "customers.profile"), column: "customers.profile"),
            fileName: try row.string(2, "customers.file_name"), md5: try row.string(3, "customers.md5"),
            createdAt: Date(timeIntervalSince1970: try row.double(4, "customers.created_at")))
    }
}
