import Foundation

/// Which mode a conversation belongs to; each mode adds its own.
public struct ConversationMode: RawRepresentable, Hashable, Codable, Sendable {
    public var rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    public static let customerService = ConversationMode(rawValue: "customer-service")
    public static let groupChat = ConversationMode(rawValue: "group-chat")
}

/// A conversation: a customer-service session, a group-chat room.
public struct ConversationSession: Sendable, Hashable, Codable {
    public var id: String
    public var mode: ConversationMode
    public var createdAt: Date

    public init(id: String, mode: ConversationMode, createdAt: Date) {
        self.id = id
        self.mode = mode
        self.createdAt = createdAt
    }
}

/// One line of a conversation's transcript.
public struct ConversationLine: Sendable, Hashable, Codable {
    /// "user", "assistant" or an agent id.
    public var sender: String
    public var text: String
    public var createdAt: Date

    public init(sender: String, text: String, createdAt: Date) {
        self.sender = sender
        self.text = text
        self.createdAt = createdAt
    }
}

/// The calendar day daily counts are kept under ("2026-12-03").
public enum CountingDay {
    /// The day `date` falls on in `timeZone`.
    public static func key(of date: Date, in timeZone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }
}

/// Sessions and their transcripts for every mode, so a conversation outlives the process and the instance that
/// started it. Customer service writes its sessions and turns here in the same transaction as its own records;
/// group-chat rooms keep their (bounded) history here.
public protocol ConversationStore: Sendable {
    /// The session with this id, created now (with `mode`) if it does not exist yet.
    func openSession(id: String, mode: ConversationMode, at date: Date) async throws -> ConversationSession
    /// A session, or nil.
    func conversation(id: String) async throws -> ConversationSession?
    /// Appends lines to an existing session; with `keepLast`, older lines beyond that many are removed in the same
    /// transaction.
    func appendLines(_ lines: [ConversationLine], sessionID: String, keepLast: Int?) async throws
    /// The last `limit` lines of a session, oldest first.
    func lines(sessionID: String, limit: Int) async throws -> [ConversationLine]
    /// Adds one to `key`'s count for `day` (a calendar day, "2026-12-03") and returns the new count, atomically, so
    /// instances sharing the store count together (group chat's daily limits).
    func incrementDailyCount(_ key: String, day: String) async throws -> Int
    /// The counts of `keys` on `day`; a key never counted that day is 0.
    func dailyCounts(_ keys: [String], day: String) async throws -> [String: Int]
}
