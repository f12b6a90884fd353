import Foundation

/// Sales training's sessions in the embedded SQLite database; state and report are JSON columns.
public struct SQLiteTrainingStore: TrainingStore {
    public let database: SQLiteDatabase

    public init(database: SQLiteDatabase) { self.database = database }

    static let columns = "id, customer_id, user_id, state, report, created_at, updated_at"

    public func createTrainingSession(customerID: Int, userID: String, state initial: TrainingState, at date: Date) async throws -> TrainingSessionRecord {
        let state = try StoreJSON.encode(initial)
        return try await database.write { connection in
            // Ids are decimal text: the next one follows the largest so far, inside the write transaction.
            let next = try connection.query("SELECT COALESCE(MAX(CAST(id AS INTEGER)), 0) + 1 FROM training_sessions").first?.int(0, "next id") ?? 1
            let session = TrainingSessionRecord(
                id: String(next), customerID: customerID, userID: userID, state: initial, createdAt: date, updatedAt: date)
            try connection.query(
                "INSERT INTO training_sessions (\(Self.columns)) VALUES (?, ?, ?, ?, NULL, ?, ?)",
                [
                    .text(session.id), .integer(Int64(customerID)), .text(userID), .text(state),
                    .real(date.timeIntervalSince1970), .real(date.timeIntervalSince1970),
                ])
            return session
        }
    }

    public func trainingSession(id: String) async throws -> TrainingSessionRecord? {
        try await database.read {
            try $0.query("SELECT \(Self.columns) FROM training_sessions WHERE id = ?", [.text(id)]).first.map(Self.record)
        }
    }

    public func trainingSessions(userID: String?) async throws -> [TrainingSessionRecord] {
        try await database.read { connection in
            if let userID {
                return try connection.query(
                    "SELECT \(Self.columns) FROM training_sessions WHERE user_id = ? ORDER BY created_at DESC, rowid DESC", [.text(userID)]
                ).map(Self.record)
            }
            return try connection.query("SELECT \(Self.columns) FROM training_sessions ORDER BY created_at DESC, rowid DESC").map(Self.record)
        }
    }

    public func saveTrainingSession(id: String, state: TrainingState, report: TrainingReport?, at date: Date) async throws -> Bool {
        let stateJSON = try StoreJSON.encode(state)
        let reportJSON = try report.map(StoreJSON.encode)
        return try await database.write { connection in
            guard try !connection.query("SELECT 1 FROM training_sessions WHERE id = ?", [.text(id)]).isEmpty else { return false }
            try connection.query(
                "UPDATE training_sessions SET state = ?, report = ?, updated_at = ? WHERE id = ?",
                [.text(stateJSON), reportJSON.map(SQLiteValue.text) ?? .null, .real(date.timeIntervalSince1970), .text(id)])
            return true
        }
    }

    static func record(_ row: [SQLiteValue]) throws -> TrainingSessionRecord {
        let report: TrainingReport?
        if case .text(let text) = row[4] { report = try StoreJSON.decode(TrainingReport.self, text, column: "training_sessions.report") } else { report = nil }
        return TrainingSessionRecord(
            id: try row.string(0, "training_sessions.id"), customerID: try row.int(1, "training_sessions.customer_id"),
            userID: try row.string(2, "training_sessions.user_id"),
            state: try StoreJSON.decode(TrainingState.self, try row.string(3, "training_sessions.state"), column: "training_sessions.state"),
            report: report, createdAt: Date(timeIntervalSince1970: try row.double(5, "training_sessions.created_at")),
            updatedAt: Date(timeIntervalSince1970: try row.double(6, "training_sessions.updated_at")))
    }
}
