import Foundation

/// Where a training session stands: its stage progress, the conversation and the evaluated trainee turns, and the
/// difficulty chosen for it.
public struct TrainingState: Sendable, Codable, Equatable {
    public var progress: StageProgress
    /// Trainee turns as user, customer turns as assistant.
    public var conversation: [ChatMessage]
    public var turns: [EvaluatedTurn]
    /// The difficulty the customer plays this session at; nil for the customer's own.
    public var difficulty: CustomerProfile.Difficulty?

    public init(
        progress: StageProgress = StageProgress(), conversation: [ChatMessage] = [], turns: [EvaluatedTurn] = [],
        difficulty: CustomerProfile.Difficulty? = nil
    ) {
        self.progress = progress
        self.conversation = conversation
        self.turns = turns
        self.difficulty = difficulty
    }
}

/// A stored training session: who trains with which customer, its state and, once finished, its report.
public struct TrainingSessionRecord: Sendable, Codable, Equatable {
    public var id: String
    public var customerID: Int
    public var userID: String
    public var state: TrainingState
    public var report: TrainingReport?
    public var createdAt: Date
    public var updatedAt: Date

    /// "completed" once the last stage is behind the session, otherwise "active".
    public var status: String { state.progress.finished ? "completed" : "active" }

    public init(
        id: String, customerID: Int, userID: String, state: TrainingState = TrainingState(), report: TrainingReport? = nil,
        createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.customerID = customerID
        self.userID = userID
        self.state = state
        self.report = report
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// Sales training's sessions, so a session outlives the connection and the instance that started it.
public protocol TrainingStore: Sendable {
    /// Stores a new session of `userID` with customer `customerID`, in `state`, and gives it the next id ("1", "2", …,
    /// as the original numbered its sessions).
    func createTrainingSession(customerID: Int, userID: String, state: TrainingState, at date: Date) async throws -> TrainingSessionRecord
    func trainingSession(id: String) async throws -> TrainingSessionRecord?
    /// Sessions newest first, of one user when `userID` is given.
    func trainingSessions(userID: String?) async throws -> [TrainingSessionRecord]
    /// Replaces a session's state (and report); false when there is no such session.
    func saveTrainingSession(id: String, state: TrainingState, report: TrainingReport?, at date: Date) async throws -> Bool
}

/// Training sessions in memory, with the same semantics as the database backends.
public actor InMemoryTrainingStore: TrainingStore {
    private var records: [String: TrainingSessionRecord] = [:]
    private var order: [String] = []

    public init() {}

    public func createTrainingSession(customerID: Int, userID: String, state: TrainingState, at date: Date) -> TrainingSessionRecord {
        let session = TrainingSessionRecord(
            id: String(order.count + 1), customerID: customerID, userID: userID, state: state, createdAt: date, updatedAt: date)
        records[session.id] = session
        order.append(session.id)
        return session
    }

    public func trainingSession(id: String) -> TrainingSessionRecord? { records[id] }

    public func trainingSessions(userID: String?) -> [TrainingSessionRecord] {
        order.reversed().compactMap { records[$0] }.filter { userID == nil || $0.userID == userID }
    }

    public func saveTrainingSession(id: String, state: TrainingState, report: TrainingReport?, at date: Date) -> Bool {
        guard var record = records[id] else { return false }
        record.state = state
        record.report = report
        record.updatedAt = date
        records[id] = record
        return true
    }
}
