import Foundation

/// A knowledge-base row as stored, with its keywords.
public struct StoredQAEntry: Sendable, Hashable, Codable {
    public var id: Int
    public var sourceFile: String
    public var entry: KnowledgeEntry
    public var keywords: [String]

    public init(id: Int, sourceFile: String, entry: KnowledgeEntry, keywords: [String]) {
        self.id = id
        self.sourceFile = sourceFile
        self.entry = entry
        self.keywords = keywords
    }
}

/// One imported file in the MD5 registry.
public struct RegistryRecord: Sendable, Hashable, Codable {
    public var fileName: String
    public var md5: String
    public var rowCount: Int

    public init(fileName: String, md5: String, rowCount: Int) {
        self.fileName = fileName
        self.md5 = md5
        self.rowCount = rowCount
    }
}

/// Where a human handoff stands.
public enum HandoffState: String, Sendable, Codable, CaseIterable {
    case pending, open, closed

    /// Whether an agent may move a handoff from this state to `next`.
    public func canMove(to next: HandoffState) -> Bool {
        switch (self, next) {
        case (.pending, .open), (.open, .closed), (.pending, .closed): return true
        default: return false
        }
    }
}

extension HandoffState {
    /// The state a stored column holds; `StoreError.corruptRow` naming `column` when it holds something else.
    public static func stored(_ raw: String, column: String) throws -> HandoffState {
        guard let state = HandoffState(rawValue: raw) else {
            throw StoreError.corruptRow(column: column, found: "\"\(raw)\"", expected: "pending, open or closed")
        }
        return state
    }
}

extension MatchBand {
    /// The band a stored column holds; `StoreError.corruptRow` naming `column` when it holds something else.
    public static func stored(_ raw: String, column: String) throws -> MatchBand {
        guard let band = MatchBand(rawValue: raw) else {
            throw StoreError.corruptRow(column: column, found: "\"\(raw)\"", expected: "a match band")
        }
        return band
    }
}

/// A customer-service session.
public struct SessionRecord: Sendable, Hashable, Codable {
    public var id: String
    public var createdAt: Date
    public var messageCount: Int
    public var rating: Int?
    public var ratingComment: String?
    public var transferToHuman: Bool
    public var handoffReason: String?
    public var handoffState: HandoffState?

    public init(
        id: String, createdAt: Date, messageCount: Int, rating: Int?, ratingComment: String?, transferToHuman: Bool,
        handoffReason: String?, handoffState: HandoffState?
    ) {
        self.id = id
        self.createdAt = createdAt
        self.messageCount = messageCount
        self.rating = rating
        self.ratingComment = ratingComment
        self.transferToHuman = transferToHuman
        self.handoffReason = handoffReason
        self.handoffState = handoffState
    }

    enum CodingKeys: String, CodingKey {
        case id = "session_id"
        case createdAt = "start_time"
        case messageCount = "message_count"
        case rating = "user_rating"
        case ratingComment = "rating_comment"
        case transferToHuman = "transfer_to_human"
        case handoffReason = "handoff_reason"
        case handoffState = "handoff_state"
    }
}

/// One user turn and the reply it got.
public struct TurnLog: Sendable, Hashable, Codable {
    public var sessionID: String
    public var createdAt: Date
    public var query: String
    public var response: String
    public var topic: String?
    public var matchedQuestion: String?
    public var confidence: Double
    public var matchType: MatchBand
    public var llmUsed: Bool
    public var transferToHuman: Bool
    public var latencyMs: Double

    public init(
        sessionID: String, createdAt: Date, query: String, response: String, topic: String?, matchedQuestion: String?,
        confidence: Double, matchType: MatchBand, llmUsed: Bool, transferToHuman: Bool, latencyMs: Double
    ) {
        self.sessionID = sessionID
        self.createdAt = createdAt
        self.query = query
        self.response = response
        self.topic = topic
        self.matchedQuestion = matchedQuestion
        self.confidence = confidence
        self.matchType = matchType
        self.llmUsed = llmUsed
        self.transferToHuman = transferToHuman
        self.latencyMs = latencyMs
    }

    /// The turn as transcript lines: the user's question, then the reply.
    public var transcript: [ConversationLine] {
        [
            ConversationLine(sender: "user", text: query, createdAt: createdAt),
            ConversationLine(sender: "assistant", text: response, createdAt: createdAt),
        ]
    }

    enum CodingKeys: String, CodingKey {
        case sessionID = "session_id"
        case createdAt = "timestamp"
        case query, response, topic, confidence
        case matchedQuestion = "matched_question"
        case matchType = "match_type"
        case llmUsed = "llm_used"
        case transferToHuman = "transfer_to_human"
        case latencyMs = "latency_ms"
    }
}

/// Exact counts over all sessions and turns.
public struct CustomerServiceStats: Sendable, Codable, Equatable {
    public var totalSessions: Int
    public var totalMessages: Int
    /// Messages answered by a handoff rather than a match; not counted in `avgConfidence` or the distribution.
    public var handoffMessages: Int
    /// Mean confidence of the matched messages.
    public var avgConfidence: Double
    /// Share of sessions handed to a human, in percent (as the original API reports it).
    public var transferRate: Double
    public var transferredSessions: Int
    public var matchTypeDistribution: [String: Int]
    public var averageRating: Double?
    public var ratedSessions: Int
    /// Hits per knowledge-base topic, most asked first.
    public var topicHits: [TopicHits]

    /// Statistics from the counts; the transfer rate is derived from them.
    public init(
        totalSessions: Int, totalMessages: Int, handoffMessages: Int, avgConfidence: Double,
        transferredSessions: Int, matchTypeDistribution: [String: Int], averageRating: Double?, ratedSessions: Int,
        topicHits: [TopicHits]
    ) {
        self.totalSessions = totalSessions
        self.totalMessages = totalMessages
        self.handoffMessages = handoffMessages
        self.avgConfidence = avgConfidence
        self.transferRate = totalSessions == 0 ? 0 : Double(transferredSessions) / Double(totalSessions) * 100
        self.transferredSessions = transferredSessions
        self.matchTypeDistribution = matchTypeDistribution
        self.averageRating = averageRating
        self.ratedSessions = ratedSessions
        self.topicHits = topicHits
    }

    public struct TopicHits: Sendable, Codable, Equatable {
        public var topic: String
        public var hits: Int

        public init(topic: String, hits: Int) {
            self.topic = topic
            self.hits = hits
        }
    }

    enum CodingKeys: String, CodingKey {
        case totalSessions = "total_sessions"
        case totalMessages = "total_messages"
        case handoffMessages = "handoff_messages"
        case avgConfidence = "avg_confidence"
        case transferRate = "transfer_rate"
        case transferredSessions = "transferred_sessions"
        case matchTypeDistribution = "match_type_distribution"
        case averageRating = "average_rating"
        case ratedSessions = "rated_sessions"
        case topicHits = "topic_hits"
    }
}

/// What an import did.
public struct ImportOutcome: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable { case imported, replaced, unchanged }

    public var status: Status
    public var fileName: String
    public var md5: String
    /// Rows in this file.
    public var count: Int
    /// Rows removed because an earlier version of the same file was replaced.
    public var replacedRows: Int
    /// Rows in the whole knowledge base afterwards.
    public var totalRows: Int
    public var encoding: String
    public var message: String
    /// The calibration matches use after this import; nil when nothing changed.
    public var calibration: CalibrationSummary?
    /// What the knowledge-base check found after this import (the first `KnowledgeBaseImporter.warningsShown`).
    public var warnings: [KnowledgeBaseWarning]?
    /// How many warnings the check found in all.
    public var warningCount: Int?

    enum CodingKeys: String, CodingKey {
        case status, md5, count, encoding, message, calibration, warnings
        case warningCount = "warning_count"
        case fileName = "file_name"
        case replacedRows = "replaced_rows"
        case totalRows = "total_rows"
    }
}

/// Which calibration is in force, in a form for answers and logs.
public struct CalibrationSummary: Sendable, Codable, Equatable {
    /// default, self or labelled.
    public var source: CalibrationSource
    /// The queries it was fitted on (held-out phrasings for a self-calibration).
    public var queries: Int
    public var fusion: String
    public var highThreshold: Double
    public var midThreshold: Double

    public init(_ calibration: RetrievalCalibration) {
        source = calibration.source
        queries = calibration.calibrationQueries
        fusion = calibration.fusion.formula
        highThreshold = (calibration.highThreshold * 10_000).rounded() / 10_000
        midThreshold = (calibration.midThreshold * 10_000).rounded() / 10_000
    }

    enum CodingKeys: String, CodingKey {
        case source, queries, fusion
        case highThreshold = "high_threshold"
        case midThreshold = "mid_threshold"
    }
}

/// A session that does not exist, or an invalid request about one.
public enum CustomerServiceError: Error, Equatable, CustomStringConvertible, Sendable {
    case unknownSession(String)
    case invalidRating(Int)
    case invalidHandoffTransition(from: HandoffState?, to: HandoffState)

    public var description: String {
        switch self {
        case .unknownSession(let id): return "no customer-service session \(id)"
        case .invalidRating(let rating): return "rating \(rating) is not accepted; expected a whole number from 1 to 5"
        case .invalidHandoffTransition(let from, let to):
            return "a handoff cannot move from \(from?.rawValue ?? "none") to \(to.rawValue)"
        }
    }
}
