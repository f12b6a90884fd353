import Foundation
import Testing
import VividCrowdCore
import VividCrowdTesting

private let day = Date(timeIntervalSince1970: 1_780_000_000.25)

private func entry(_ topic: String, _ line: Int, _ phrasings: [String]) -> KnowledgeEntry {
    KnowledgeEntry(
        line: line, questionCount: line * 3, topicName: topic, phrasings: phrasings, standardScript: "script \(topic)",
        riskNotes: line.isMultiple(of: 2) ? "" : "note \(line)")
}

private func turn(
    _ session: String, _ query: String, band: MatchBand, confidence: Double, topic: String? = nil, handoff: Bool = false,
    at offset: Double = 0
) -> TurnLog {
    TurnLog(
        sessionID: session, createdAt: day.addingTimeInterval(offset), query: query, response: "re: \(query)",
        topic: topic, matchedQuestion: topic.map { "about \($0)?" }, confidence: confidence, matchType: band,
        llmUsed: band == .mid || band == .low, transferToHuman: handoff, latencyMs: 12.5)
}

@Suite("Store conformance")
struct StoreConformanceTests {
    @Test("a new store is empty at corpus version 0", arguments: StoreBackend.allCases)
    func empty(_ backend: StoreBackend) async throws {
        let store = try await backend.open().customerService
        #expect(try await store.corpusVersion() == 0)
        #expect(try await store.knowledgeEntries().isEmpty)
        #expect(try await store.knowledgeEntryCount() == 0)
        #expect(try await store.registryRecord(fileName: "kb.csv") == nil)
        #expect(try await store.calibration(embeddingModel: "m") == nil)
        let stats = try await store.stats()
        #expect(stats.totalSessions == 0 && stats.totalMessages == 0 && stats.avgConfidence == 0)
        #expect(stats.averageRating == nil && stats.topicHits.isEmpty && stats.transferRate == 0)
        #expect(stats.matchTypeDistribution == Dictionary(uniqueKeysWithValues: MatchBand.allCases.map { ($0.rawValue, 0) }))
    }

    @Test("imports replace only their own file's rows, register by name and content, and bump the version",
          arguments: StoreBackend.allCases)
    func knowledgeBase(_ backend: StoreBackend) async throws {
        let store = try await backend.open().customerService
        let first = [entry("hours", 2, ["When are you open?"]), entry("parking", 3, ["Where do I park?", "parking?"])]
        #expect(try await store.replaceKnowledgeBase(
            fileName: "a.csv", md5: "m1", encoding: "UTF-8", entries: first, keywords: [["open"], ["park"]], at: day) == 0)
        #expect(try await store.corpusVersion() == 1)
        #expect(try await store.replaceKnowledgeBase(
            fileName: "b.csv", md5: "m2", encoding: "GB18030", entries: [entry("refund", 2, ["退款？"])], keywords: [["退款"]],
            at: day.addingTimeInterval(1)) == 0)
        // The same bytes under a third name: the registry answers with the earliest file holding them.
        _ = try await store.replaceKnowledgeBase(
            fileName: "c.csv", md5: "m1", encoding: "UTF-8", entries: [], keywords: [], at: day.addingTimeInterval(2))
        #expect(try await store.registryRecord(md5: "m1") == RegistryRecord(fileName: "a.csv", md5: "m1", rowCount: 2))
        #expect(try await store.registryRecord(fileName: "b.csv") == RegistryRecord(fileName: "b.csv", md5: "m2", rowCount: 1))

        let stored = try await store.knowledgeEntries()
        #expect(stored.map(\.entry) == first + [entry("refund", 2, ["退款？"])])
        #expect(stored.map(\.sourceFile) == ["a.csv", "a.csv", "b.csv"])
        #expect(stored.map(\.keywords) == [["open"], ["park"], ["退款"]])
        #expect(stored.map(\.id) == stored.map(\.id).sorted() && Set(stored.map(\.id)).count == 3)

        let replacement = [entry("hours", 2, ["Opening hours?"])]
        #expect(try await store.replaceKnowledgeBase(
            fileName: "a.csv", md5: "m3", encoding: "UTF-8", entries: replacement, keywords: [["hours"]],
            at: day.addingTimeInterval(3)) == 2)
        #expect(try await store.corpusVersion() == 4)
        #expect(try await store.knowledgeEntries().map(\.entry.topicName) == ["refund", "hours"])
        #expect(try await store.knowledgeEntryCount() == 2)
        #expect(try await store.registryRecord(md5: "m1")?.fileName == "c.csv")

        // A mismatched keyword list is refused and changes nothing.
        await #expect(throws: (any Error).self) {
            try await store.replaceKnowledgeBase(
                fileName: "a.csv", md5: "m4", encoding: "UTF-8", entries: replacement, keywords: [], at: day)
        }
        #expect(try await store.corpusVersion() == 4)
        #expect(try await store.registryRecord(fileName: "a.csv")?.md5 == "m3")
    }

    @Test("calibrations are kept per embedding model and bump the version", arguments: StoreBackend.allCases)
    func calibrations(_ backend: StoreBackend) async throws {
        let store = try await backend.open().customerService
        let calibration = RetrievalCalibration(
            fusion: .convex(weight: 0.3), confidence: nil, highThreshold: 0.91, midThreshold: 0.4, calibrationQueries: 25)
        try await store.storeCalibration(calibration, embeddingModel: "e5", at: day)
        #expect(try await store.calibration(embeddingModel: "e5") == calibration)
        #expect(try await store.calibration(embeddingModel: "other") == nil)
        #expect(try await store.corpusVersion() == 1)
        var refit = calibration
        refit.highThreshold = 0.95
        try await store.storeCalibration(refit, embeddingModel: "e5", at: day)
        #expect(try await store.calibration(embeddingModel: "e5") == refit)
        #expect(try await store.corpusVersion() == 2)
    }

    @Test("an import's self-calibration lands with its rows, replaces an older one, and never a labelled one",
          arguments: StoreBackend.allCases)
    func selfCalibrations(_ backend: StoreBackend) async throws {
        let store = try await backend.open().customerService
        let fitted = RetrievalCalibration(
            fusion: .zScore(weight: 0.2), confidence: nil, highThreshold: 0.95, midThreshold: 0.3,
            calibrationQueries: 40, source: .selfFitted)
        func replace(_ file: String, _ md5: String, _ calibration: RetrievalCalibration?) async throws {
            _ = try await store.replaceKnowledgeBase(
                fileName: file, md5: md5, encoding: "UTF-8", entries: [entry("hours", 2, ["When are you open?"])],
                keywords: [["open"]], selfCalibration: SelfCalibrationUpdate(embeddingModel: "e5", calibration: calibration),
                at: day)
        }
        try await replace("a.csv", "m1", fitted)
        #expect(try await store.calibration(embeddingModel: "e5") == fitted)
        #expect(try await store.corpusVersion() == 1)
        // A knowledge base that cannot calibrate itself goes back to the default, not to an older one's fit.
        try await replace("a.csv", "m2", nil)
        #expect(try await store.calibration(embeddingModel: "e5") == nil)
        let labelled = RetrievalCalibration(
            fusion: .convex(weight: 0.3), confidence: nil, highThreshold: 0.91, midThreshold: 0.4, calibrationQueries: 25,
            source: .labelled)
        try await store.storeCalibration(labelled, embeddingModel: "e5", at: day)
        try await replace("b.csv", "m3", fitted)
        try await replace("c.csv", "m4", nil)
        #expect(try await store.calibration(embeddingModel: "e5") == labelled)
        #expect(try await store.knowledgeEntryCount() == 3)
    }

    @Test("sessions keep their turns in order, hand off once, and take ratings", arguments: StoreBackend.allCases)
    func sessions(_ backend: StoreBackend) async throws {
        let store = try await backend.open().customerService
        let created = try await store.createSession(id: "s1", at: day)
        #expect(try await store.session(id: "s1") == created)
        #expect(try await store.session(id: "missing") == nil)
        await #expect(throws: (any Error).self) { try await store.createSession(id: "s1", at: day) }
        await #expect(throws: (any Error).self) {
            try await store.appendTurn(turn("missing", "hello", band: .high, confidence: 1), handoffReason: nil)
        }

        let turns = [
            turn("s1", "When are you open?", band: .high, confidence: 0.97, topic: "hours"),
            turn("s1", "转人工", band: .noMatch, confidence: 0, handoff: true, at: 1),
            turn("s1", "human please", band: .noMatch, confidence: 0, handoff: true, at: 2),
        ]
        try await store.appendTurn(turns[0], handoffReason: nil)
        try await store.appendTurn(turns[1], handoffReason: "explicit_request: 转人工")
        try await store.appendTurn(turns[2], handoffReason: "explicit_request: human")
        #expect(try await store.turns(sessionID: "s1") == turns)
        let session = try #require(try await store.session(id: "s1"))
        #expect(session.messageCount == 3 && session.transferToHuman)
        #expect(session.handoffReason == "explicit_request: 转人工")
        #expect(session.handoffState == .pending)

        try await store.rate(sessionID: "s1", rating: 4, comment: "ok")
        #expect(try await store.session(id: "s1")?.rating == 4)
        #expect(try await store.session(id: "s1")?.ratingComment == "ok")

        #expect(try await store.moveHandoffState(sessionID: "s1", from: .pending, to: .open))
        #expect(try await !store.moveHandoffState(sessionID: "s1", from: .pending, to: .closed))
        #expect(try await store.session(id: "s1")?.handoffState == .open)
        // A later handoff turn does not reopen or reset it.
        try await store.appendTurn(turn("s1", "agent!", band: .noMatch, confidence: 0, handoff: true), handoffReason: "x")
        #expect(try await store.session(id: "s1")?.handoffState == .open)
    }

    @Test("of concurrent identical handoff moves exactly one wins", arguments: StoreBackend.allCases)
    func concurrentHandoffMoves(_ backend: StoreBackend) async throws {
        let store = try await backend.open().customerService
        _ = try await store.createSession(id: "s", at: day)
        try await store.appendTurn(turn("s", "human", band: .noMatch, confidence: 0, handoff: true), handoffReason: "r")
        let wins = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<10 { group.addTask { try await store.moveHandoffState(sessionID: "s", from: .pending, to: .open) } }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(wins == 1)
    }

    @Test("statistics are exact counts; handoff turns count as messages but not towards confidence",
          arguments: StoreBackend.allCases)
    func stats(_ backend: StoreBackend) async throws {
        let store = try await backend.open().customerService
        for id in ["a", "b", "c", "d"] { _ = try await store.createSession(id: id, at: day) }
        try await store.appendTurn(turn("a", "q1", band: .high, confidence: 0.9, topic: "hours"), handoffReason: nil)
        try await store.appendTurn(turn("a", "q2", band: .mid, confidence: 0.6, topic: "parking"), handoffReason: nil)
        try await store.appendTurn(turn("b", "q3", band: .high, confidence: 0.95, topic: "hours"), handoffReason: nil)
        try await store.appendTurn(turn("b", "q4", band: .low, confidence: 0.3, topic: "refund"), handoffReason: nil)
        try await store.appendTurn(turn("c", "human", band: .noMatch, confidence: 0, handoff: true), handoffReason: "r")
        try await store.rate(sessionID: "a", rating: 5, comment: nil)
        try await store.rate(sessionID: "b", rating: 2, comment: nil)

        let stats = try await store.stats()
        #expect(stats.totalSessions == 4)
        #expect(stats.totalMessages == 5)
        #expect(stats.handoffMessages == 1)
        #expect(abs(stats.avgConfidence - (0.9 + 0.6 + 0.95 + 0.3) / 4) < 1e-12)
        #expect(stats.transferredSessions == 1 && stats.transferRate == 25)
        #expect(stats.matchTypeDistribution == [MatchBand.high.rawValue: 2, MatchBand.mid.rawValue: 1, MatchBand.low.rawValue: 1, MatchBand.noMatch.rawValue: 0])
        #expect(stats.averageRating == 3.5 && stats.ratedSessions == 2)
        #expect(stats.topicHits.map(\.topic) == ["hours", "parking", "refund"])
        #expect(stats.topicHits.map(\.hits) == [2, 1, 1])
    }

    @Test("conversations open once, keep their lines in order, and trim to the newest when asked",
          arguments: StoreBackend.allCases)
    func conversations(_ backend: StoreBackend) async throws {
        let store = try await backend.open().conversations
        let opened = try await store.openSession(id: "room:lobby", mode: .groupChat, at: day)
        #expect(opened == ConversationSession(id: "room:lobby", mode: .groupChat, createdAt: day))
        // Opening again returns the session as it was.
        #expect(try await store.openSession(id: "room:lobby", mode: .customerService, at: day.addingTimeInterval(9)) == opened)
        #expect(try await store.conversation(id: "nowhere") == nil)
        await #expect(throws: (any Error).self) {
            try await store.appendLines([ConversationLine(sender: "user", text: "hi", createdAt: day)], sessionID: "nowhere", keepLast: nil)
        }
        let lines = (0..<5).map { ConversationLine(sender: $0.isMultiple(of: 2) ? "user" : "ana", text: "line \($0)", createdAt: day.addingTimeInterval(Double($0))) }
        try await store.appendLines(Array(lines.prefix(3)), sessionID: "room:lobby", keepLast: nil)
        try await store.appendLines(Array(lines.suffix(2)), sessionID: "room:lobby", keepLast: nil)
        #expect(try await store.lines(sessionID: "room:lobby", limit: 100) == lines)
        #expect(try await store.lines(sessionID: "room:lobby", limit: 2) == Array(lines.suffix(2)))
        try await store.appendLines([ConversationLine(sender: "user", text: "last", createdAt: day)], sessionID: "room:lobby", keepLast: 3)
        #expect(try await store.lines(sessionID: "room:lobby", limit: 100).map(\.text) == ["line 3", "line 4", "last"])
    }

    @Test("daily counts add up exactly under concurrent increments, per key and day", arguments: StoreBackend.allCases)
    func dailyCounts(_ backend: StoreBackend) async throws {
        let store = try await backend.open().conversations
        let returned = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<12 { group.addTask { try await store.incrementDailyCount("room:a/ana", day: "2026-12-03") } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        // Every increment saw its own new count: 1 through 12, once each.
        #expect(returned.sorted() == Array(1...12))
        #expect(try await store.incrementDailyCount("room:a/ana", day: "2026-12-04") == 1)
        #expect(try await store.incrementDailyCount("room:b/ana", day: "2026-12-03") == 1)
        let counts = try await store.dailyCounts(["room:a/ana", "room:b/ana", "room:a/ben"], day: "2026-12-03")
        #expect(counts == ["room:a/ana": 12, "room:b/ana": 1, "room:a/ben": 0])
        #expect(try await store.dailyCounts([], day: "2026-12-03").isEmpty)
    }

    @Test("prune deletes sessions, lines and counts older than the cutoff, and keeps everything newer", arguments: StoreBackend.allCases)
    func prune(_ backend: StoreBackend) async throws {
        let store = try await backend.open()
        let later = 10 * 86_400.0
        for (id, offset) in [("old", 0.0), ("new", later)] {
            _ = try await store.customerService.createSession(id: id, at: day.addingTimeInterval(offset))
            try await store.customerService.appendTurn(
                turn(id, "When are you open?", band: .high, confidence: 0.97, topic: "hours", at: offset), handoffReason: nil)
        }
        try await store.customerService.rate(sessionID: "old", rating: 2, comment: nil)
        _ = try await store.conversations.openSession(id: "room:lobby", mode: .groupChat, at: day)
        try await store.conversations.appendLines(
            [ConversationLine(sender: "user", text: "early", createdAt: day), ConversationLine(sender: "ana", text: "late", createdAt: day.addingTimeInterval(later))],
            sessionID: "room:lobby", keepLast: nil)
        _ = try await store.conversations.incrementDailyCount("room:lobby/ana", day: PruneCounts.day(of: day))
        _ = try await store.conversations.incrementDailyCount("room:lobby/ana", day: PruneCounts.day(of: day.addingTimeInterval(later)))

        let counts = try await store.prune(before: day.addingTimeInterval(later / 2))
        // The old session's two transcript lines and the room's early line; one session; one day's count.
        #expect(counts == PruneCounts(customerServiceSessions: 1, transcriptLines: 3, twinMessages: 0, dailyCounts: 1))
        #expect(try await store.customerService.session(id: "old") == nil)
        #expect(try await store.conversations.conversation(id: "old") == nil)
        #expect(try await store.customerService.session(id: "new")?.messageCount == 1)
        let stats = try await store.customerService.stats()
        #expect(stats.totalSessions == 1 && stats.totalMessages == 1 && stats.ratedSessions == 0)
        #expect(try await store.conversations.lines(sessionID: "room:lobby", limit: 10).map(\.text) == ["late"])
        #expect(try await store.conversations.lines(sessionID: "new", limit: 10).count == 2)
        let days = [PruneCounts.day(of: day), PruneCounts.day(of: day.addingTimeInterval(later))]
        #expect(try await store.conversations.dailyCounts(["room:lobby/ana"], day: days[0]) == ["room:lobby/ana": 0])
        #expect(try await store.conversations.dailyCounts(["room:lobby/ana"], day: days[1]) == ["room:lobby/ana": 1])
        #expect(try await store.prune(before: day.addingTimeInterval(later / 2)) == PruneCounts())
    }

    @Test("a backup is a whole, readable copy written once; backends backed up elsewhere say how", arguments: StoreBackend.allCases)
    func backup(_ backend: StoreBackend) async throws {
        let store = try await backend.open()
        _ = try await store.customerService.replaceKnowledgeBase(
            fileName: "kb.csv", md5: "m", encoding: "UTF-8", entries: [entry("hours", 2, ["When?"])], keywords: [["when"]], at: day)
        let path = try temporaryDirectory() + "/copy.sqlite"
        guard backend == .sqlite else {
            await #expect { try await store.backup(to: path) } throws: { error in
                guard case StoreError.backupElsewhere(let hint)? = error as? StoreError else { return false }
                return backend == .postgres ? hint.contains("pg_dump") : true
            }
            #expect(!FileManager.default.fileExists(atPath: path))
            return
        }
        try await store.backup(to: path)
        let copy = try SQLiteStore(path: path)
        #expect(try await copy.customerService.knowledgeEntries().map(\.entry.topicName) == ["hours"])
        #expect(try await copy.customerService.corpusVersion() == 1)
        await #expect(throws: StoreError.backupExists(path: path)) { try await store.backup(to: path) }
        #expect(!FileManager.default.fileExists(atPath: path + ".partial"))
    }

    @Test("customer-service sessions and turns are conversations too", arguments: StoreBackend.allCases)
    func customerServiceConversations(_ backend: StoreBackend) async throws {
        let store = try await backend.open()
        _ = try await store.customerService.createSession(id: "cs-1", at: day)
        #expect(try await store.conversations.conversation(id: "cs-1")?.mode == .customerService)
        let asked = turn("cs-1", "When are you open?", band: .high, confidence: 0.97, topic: "hours")
        try await store.customerService.appendTurn(asked, handoffReason: nil)
        #expect(try await store.conversations.lines(sessionID: "cs-1", limit: 10) == asked.transcript)
        // An id a group-chat room already holds is not reused for a session.
        _ = try await store.conversations.openSession(id: "room:x", mode: .groupChat, at: day)
        await #expect(throws: (any Error).self) { try await store.customerService.createSession(id: "room:x", at: day) }
        #expect(try await store.customerService.session(id: "room:x") == nil)
    }
}
