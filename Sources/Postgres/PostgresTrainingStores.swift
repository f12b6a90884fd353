import Foundation
import PostgresNIO
import VividCrowdCore

/// Sales training's simulated customers in PostgreSQL.
public struct PostgresCustomerStore: CustomerStore {
    let backend: PostgresBackend

    static let select = "SELECT id, profile, file_name, md5, created_at FROM customers"

    public func customers() async throws -> [CustomerRecord] {
        try await backend.read { try await $0.rows(PostgresQuery(unsafeSQL: Self.select + " ORDER BY id"), logger: backend.logger).map(Self.record) }
    }

    public func customer(id: Int) async throws -> CustomerRecord? {
        try await backend.read { try await $0.rows(bound(Self.select + " WHERE id = $1", id), logger: backend.logger).first.map(Self.record) }
    }

    public func customer(md5: String) async throws -> CustomerRecord? {
        try await backend.read { try await $0.rows(bound(Self.select + " WHERE md5 = $1", md5), logger: backend.logger).first.map(Self.record) }
    }

    public func createCustomer(_ customer: CustomerRecord) async throws -> CustomerRecord {
        let profile = try StoreJSON.encode(customer.profile)
        let logger = backend.logger
        return try await uniqueMD5(customer.md5, what: "customer") {
            try await backend.write { connection in
                var stored = customer
                stored.id = try await connection.rows(
                    """
                    INSERT INTO customers (name, profile, file_name, md5, created_at)
                    VALUES (\(customer.name), \(profile), \(customer.fileName), \(customer.md5), \(customer.createdAt.timeIntervalSince1970))
                    RETURNING id
                    """, logger: logger
                ).first.map { try $0.decode(Int.self) } ?? 0
                return stored
            }
        }
    }

    public func deleteCustomer(id: Int) async throws -> Bool {
        let logger = backend.logger
        return try await backend.write { try await $0.run("DELETE FROM customers WHERE id = \(id) RETURNING 1", logger: logger) > 0 }
    }

    static func record(_ row: PostgresRow) throws -> CustomerRecord {
        let (id, profile, fileName, md5, created) = try row.decode((Int, String, String, String, Double).self)
        return CustomerRecord(
            id: id, profile: try StoreJSON.decode(CustomerProfile.self, profile, column: "customers.profile"),
            fileName: fileName, md5: md5, createdAt: Date(timeIntervalSince1970: created))
    }
}

/// Sales training's sessions in PostgreSQL; ids come from a sequence, so instances creating sessions at once never
/// collide.
public struct PostgresTrainingStore: TrainingStore {
    let backend: PostgresBackend

    static let select = "SELECT id, customer_id, user_id, state, report, created_at, updated_at FROM training_sessions"

    public func createTrainingSession(customerID: Int, userID: String, state initial: TrainingState, at date: Date) async throws -> TrainingSessionRecord {
        let state = try StoreJSON.encode(initial)
        let time = date.timeIntervalSince1970
        let logger = backend.logger
        return try await backend.write { connection in
            guard let id = try await connection.rows(
                """
                INSERT INTO training_sessions (id, seq, customer_id, user_id, state, report, created_at, updated_at)
                SELECT next::text, next, \(customerID), \(userID), \(state), NULL, \(time), \(time)
                FROM (SELECT nextval('training_session_ids') AS next) AS allocated
                RETURNING id
                """, logger: logger
            ).first.map({ try $0.decode(String.self) }) else {
                throw StoreError.corruptRow(column: "training_sessions.id", found: "no id returned", expected: "the new id")
            }
            return TrainingSessionRecord(id: id, customerID: customerID, userID: userID, state: initial, createdAt: date, updatedAt: date)
        }
    }

    public func trainingSession(id: String) async throws -> TrainingSessionRecord? {
        try await backend.read { try await $0.rows(bound(Self.select + " WHERE id = $1", id), logger: backend.logger).first.map(Self.record) }
    }

    public func trainingSessions(userID: String?) async throws -> [TrainingSessionRecord] {
        try await backend.read { connection in
            let query = userID.map { bound(Self.select + " WHERE user_id = $1 ORDER BY created_at DESC, seq DESC", $0) }
                ?? PostgresQuery(unsafeSQL: Self.select + " ORDER BY created_at DESC, seq DESC")
            return try await connection.rows(query, logger: backend.logger).map(Self.record)
        }
    }

    public func saveTrainingSession(id: String, state: TrainingState, report: TrainingReport?, at date: Date) async throws -> Bool {
        let stateJSON = try StoreJSON.encode(state)
        let reportJSON = try report.map(StoreJSON.encode)
        let logger = backend.logger
        return try await backend.write { connection in
            try await connection.run(
                """
                UPDATE training_sessions SET state = \(stateJSON), report = \(reportJSON), updated_at = \(date.timeIntervalSince1970)
                WHERE id = \(id) RETURNING 1
                """, logger: logger) > 0
        }
    }

    static func record(_ row: PostgresRow) throws -> TrainingSessionRecord {
        let (id, customerID, userID, state, report, created, updated) = try row.decode((String, Int, String, String, String?, Double, Double).self)
        return TrainingSessionRecord(
            id: id, customerID: customerID, userID: userID,
            state: try StoreJSON.decode(TrainingState.self, state, column: "training_sessions.state"),
            report: try report.map { try StoreJSON.decode(TrainingReport.self, $0, column: "training_sessions.report") },
            createdAt: Date(timeIntervalSince1970: created), updatedAt: Date(timeIntervalSince1970: updated))
    }
}

/// The copilot's sales materials in PostgreSQL; the units are one JSON column, written with the material.
public struct PostgresSalesMaterialStore: SalesMaterialStore {
    let backend: PostgresBackend

    static let select = "SELECT id, file_name, md5, format, units, created_at FROM sales_materials"

    public func salesMaterials() async throws -> [SalesMaterial] {
        try await backend.read { try await $0.rows(PostgresQuery(unsafeSQL: Self.select + " ORDER BY id"), logger: backend.logger).map(Self.record) }
    }

    public func salesMaterialIDs() async throws -> [Int] {
        try await backend.read { try await $0.rows("SELECT id FROM sales_materials ORDER BY id", logger: backend.logger).map { try $0.decode(Int.self) } }
    }

    public func salesMaterial(md5: String) async throws -> SalesMaterial? {
        try await backend.read { try await $0.rows(bound(Self.select + " WHERE md5 = $1", md5), logger: backend.logger).first.map(Self.record) }
    }

    public func createSalesMaterial(_ material: SalesMaterial) async throws -> SalesMaterial {
        let units = try StoreJSON.encode(material.units)
        let logger = backend.logger
        return try await uniqueMD5(material.md5, what: "sales material") {
            try await backend.write { connection in
                var stored = material
                stored.id = try await connection.rows(
                    """
                    INSERT INTO sales_materials (file_name, md5, format, units, created_at)
                    VALUES (\(material.fileName), \(material.md5), \(material.format.rawValue), \(units), \(material.createdAt.timeIntervalSince1970))
                    RETURNING id
                    """, logger: logger
                ).first.map { try $0.decode(Int.self) } ?? 0
                return stored
            }
        }
    }

    public func deleteSalesMaterial(id: Int) async throws -> Bool {
        let logger = backend.logger
        return try await backend.write { try await $0.run("DELETE FROM sales_materials WHERE id = \(id) RETURNING 1", logger: logger) > 0 }
    }

    static func record(_ row: PostgresRow) throws -> SalesMaterial {
        let (id, fileName, md5, format, units, created) = try row.decode((Int, String, String, String, String, Double).self)
        guard let parsed = SalesMaterial.Format(rawValue: format) else {
            throw StoreError.corruptRow(column: "sales_materials.format", found: format, expected: "pdf or xlsx")
        }
        return SalesMaterial(
            id: id, fileName: fileName, md5: md5, format: parsed,
            units: try StoreJSON.decode([SalesMaterialUnit].self, units, column: "sales_materials.units"),
            createdAt: Date(timeIntervalSince1970: created))
    }
}

/// A statement with one bound value, for the fixed column lists above.
func bound(_ sql: String, _ value: some PostgresNonThrowingEncodable & Sendable) -> PostgresQuery {
    var bindings = PostgresBindings()
    bindings.append(value)
    return PostgresQuery(unsafeSQL: sql, binds: bindings)
}
