import Foundation

/// What the customer-service mode keeps: the knowledge base with its import registry, sessions and turn logs.
/// Every backend in `Storage/` implements it and passes the same conformance suite.
public protocol CustomerServiceStore: Sendable {
    /// The knowledge base's version: bumped in the same transaction as every import and calibration, so any
    /// process sharing the store sees on its next query that its index is stale.
    func corpusVersion() async throws -> Int

    /// The registry record of a file, if it was imported.
    func registryRecord(fileName: String) async throws -> RegistryRecord?
    /// The registry record of a file with these exact bytes, under whatever name, if one was imported.
    func registryRecord(md5: String) async throws -> RegistryRecord?
    /// Replaces every row of `fileName` with `entries` and updates the registry, in one transaction; with
    /// `selfCalibration`, the same transaction replaces the model's calibration with it unless that one was fitted on
    /// labelled questions (which wins). Returns how many rows were removed.
    func replaceKnowledgeBase(
        fileName: String, md5: String, encoding: String, entries: [KnowledgeEntry], keywords: [[String]],
        selfCalibration: SelfCalibrationUpdate?, at date: Date
    ) async throws -> Int
    /// Every stored entry, in import order.
    func knowledgeEntries() async throws -> [StoredQAEntry]
    /// Number of stored entries.
    func knowledgeEntryCount() async throws -> Int

    /// The calibration fitted for the knowledge base and an embedding model, if any.
    func calibration(embeddingModel: String) async throws -> RetrievalCalibration?
    /// Stores the calibration for the knowledge base and an embedding model.
    func storeCalibration(_ calibration: RetrievalCalibration, embeddingModel: String, at date: Date) async throws

    /// Creates a session.
    func createSession(id: String, at date: Date) async throws -> SessionRecord
    /// A session, or nil.
    func session(id: String) async throws -> SessionRecord?
    /// Appends a turn and bumps the session's message count; marks the session handed off when the turn did.
    func appendTurn(_ turn: TurnLog, handoffReason: String?) async throws
    /// The turns of a session, oldest first.
    func turns(sessionID: String) async throws -> [TurnLog]
    /// Stores a rating.
    func rate(sessionID: String, rating: Int, comment: String?) async throws
    /// Moves a session's handoff from `expected` to `state` in one step; false when the session was not in
    /// `expected` any more (another request moved it first).
    func moveHandoffState(sessionID: String, from expected: HandoffState, to state: HandoffState) async throws -> Bool
    /// Exact counts over every session and turn.
    func stats() async throws -> CustomerServiceStats
}

/// The calibration an import fitted from the knowledge base's own phrasings, stored with the rows it was fitted
/// on; nil when the knowledge base cannot calibrate itself (the default applies, not an older knowledge base's fit).
public struct SelfCalibrationUpdate: Sendable {
    public var embeddingModel: String
    public var calibration: RetrievalCalibration?

    public init(embeddingModel: String, calibration: RetrievalCalibration?) {
        self.embeddingModel = embeddingModel
        self.calibration = calibration
    }
}

extension SelfCalibrationUpdate {
    /// Whether this update replaces the stored calibration (its JSON, if any): always, unless that one was fitted on
    /// labelled questions; one this version cannot read any more (fitted on another feature set) is replaced too.
    public func replaces(storedJSON: String?) -> Bool {
        guard let storedJSON,
            let stored = try? JSONDecoder().decode(RetrievalCalibration.self, from: Data(storedJSON.utf8))
        else { return true }
        return stored.source != .labelled
    }

    /// The import's rows and keyword lists pair up one to one, or the store is asked to keep a corrupt import.
    public static func checkAligned(entries: Int, keywordLists: Int) throws {
        guard entries == keywordLists else {
            throw StoreError.corruptRow(
                column: "customer_service_qa.keywords", found: "\(keywordLists) keyword lists",
                expected: "one per entry (\(entries))")
        }
    }
}

extension CustomerServiceStore {
    /// Replaces a file's rows and leaves every calibration as it is.
    public func replaceKnowledgeBase(
        fileName: String, md5: String, encoding: String, entries: [KnowledgeEntry], keywords: [[String]], at date: Date
    ) async throws -> Int {
        try await replaceKnowledgeBase(
            fileName: fileName, md5: md5, encoding: encoding, entries: entries, keywords: keywords,
            selfCalibration: nil, at: date)
    }
}
