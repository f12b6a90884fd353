import Foundation

/// Conversations in memory, with the same semantics as the database backends.
public actor InMemoryConversationStore: ConversationStore {
    private var sessions: [String: ConversationSession] = [:]
    private var transcripts: [String: [ConversationLine]] = [:]
    private var counts: [String: [String: Int]] = [:]

    public init() {}

    public func openSession(id: String, mode: ConversationMode, at date: Date) -> ConversationSession {
        if let existing = sessions[id] { return existing }
        let session = ConversationSession(id: id, mode: mode, createdAt: date)
        sessions[id] = session
        return session
    }

    public func conversation(id: String) -> ConversationSession? { sessions[id] }

    public func appendLines(_ lines: [ConversationLine], sessionID: String, keepLast: Int?) throws {
        guard sessions[sessionID] != nil else { throw MissingReference(reference: "conversation \(sessionID)") }
        var transcript = transcripts[sessionID, default: []] + lines
        if let keepLast, transcript.count > keepLast { transcript.removeFirst(transcript.count - max(0, keepLast)) }
        transcripts[sessionID] = transcript
    }

    public func lines(sessionID: String, limit: Int) -> [ConversationLine] {
        Array((transcripts[sessionID] ?? []).suffix(max(0, limit)))
    }

    /// Deletes lines written before `date`; returns how many.
    func pruneLines(before date: Date) -> Int {
        var removed = 0
        for (id, lines) in transcripts {
            let kept = lines.filter { $0.createdAt >= date }
            removed += lines.count - kept.count
            transcripts[id] = kept
        }
        return removed
    }

    /// Deletes these sessions with their transcripts.
    func remove(_ ids: [String]) {
        for id in ids {
            sessions.removeValue(forKey: id)
            transcripts.removeValue(forKey: id)
        }
    }

    /// Deletes the counts of days before `day`; returns how many.
    func pruneDailyCounts(before day: String) -> Int {
        let old = counts.keys.filter { $0 < day }
        let removed = old.reduce(0) { $0 + (counts[$1]?.count ?? 0) }
        for key in old { counts.removeValue(forKey: key) }
        return removed
    }

    public func incrementDailyCount(_ key: String, day: String) -> Int {
        counts[day, default: [:]][key, default: 0] += 1
        return counts[day]![key]!
    }

    public func dailyCounts(_ keys: [String], day: String) -> [String: Int] {
        Dictionary(uniqueKeysWithValues: keys.map { ($0, counts[day]?[$0] ?? 0) })
    }
}
