import Foundation

/// Sales training's sessions in the embedded SQLite database; state and report are JSON columns.
public struct SQLiteTrainingStore: TrainingStore {
    public let database: SQLiteDatabase

    public init(database: SQLiteDatabase) { self.database = database }

    static let columns = "id, customer_id, user_id, state, report, created_at, updated_at"

    public func createTrainingSession(_ session: TrainingSessionRecord) async throws {
        let state = try Self.json(session.state)
        let report = try session.report.map(Self.json)
        try await database.write { connection in
            if try !connection.query("SELECT 1 FROM training_sessions WHERE id = ?", [.text(session.id)]).isEmpty {
                throw DuplicateKey(key: "training session \(session.id)")
            }
            try connection.query(
                "INSERT INTO training_sessions (\(Self.columns)) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    .text(session.id), .integer(Int64(session.customerID)), .text(session.userID), .text(state), report.map(SQLiteValue.text) ?? .null,
                    .real(session.createdAt.timeIntervalSince1970), .real(session.updatedAt.timeIntervalSince1970),
                ])
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
        let stateJSON = try Self.json(state)
        let reportJSON = try report.map(Self.json)
        return try await database.write { connection in
            guard try !connection.query("SELECT 1 FROM training_sessions WHERE id = ?", [.text(id)]).isEmpty else { return false }
            try connection.query(
                "UPDATE training_sessions SET state = ?, report = ?, updated_at = ? WHERE id = ?",
                [.text(stateJSON), reportJSON.map(SQLiteValue.text) ?? .null, .real(date.timeIntervalSince1970), .text(id)])
            return true
        }
    }

    static func json<Value: Encodable>(_ value: Value) throws -> String {
        String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
    }

    static func record(_ row: [SQLiteValue]) throws -> TrainingSessionRecord {
        func decode<Value: Decodable>(_ type: Value.Type, _ text: String, _ column: String) throws -> Value {
            guard let value = try? JSONDecoder().decode(type, from: Data(text.utf8)) else {
                throw StoreError.corruptRow(column: column, found: String(text.prefix(80)), expected: "JSON of a training session's \(column)")
            }
            return value
        }
        let report: TrainingReport?
        if case .text(let text) = row[4] { report = try decode(TrainingReport.self, text, "training_sessions.report") } else { report = nil }
        return TrainingSessionRecord(
            id: try row.string(0, "training_sessions.id"), customerID: try row.int(1, "training_sessions.customer_id"),
            userID: try row.string(2, "training_sessions.user_id"),
            state: try decode(TrainingState.self, try row.string(3, "training_sessions.state"), "training_sessions.state"),
            report: report, createdAt: Date(timeIntervalSince1970: try row.double(5, "training_sessions.created_at")),
            updatedAt: Date(timeIntervalSince1970: try row.double(6, "training_sessions.updated_at")))
    }
}
