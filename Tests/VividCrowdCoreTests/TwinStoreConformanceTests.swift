import Foundation
import Testing
import VividCrowdCore
import VividCrowdTesting

private let day = Date(timeIntervalSince1970: 1_780_000_000.5)

func sampleTwin(md5: String = "abc123", name: String = "项羽") -> TwinRecord {
    let profile = TwinProfile(name: name, birthYear: -232, deathYear: -202, nationality: "楚", famousQuotes: ["力拔山兮气盖世"])
    return TwinRecord(
        id: 0, name: name, sourceType: .person, profile: profile, systemPrompt: "你是\(name)。", fileName: "xiang-yu.pdf",
        md5: md5, format: .pdf, pages: 8, characters: 9_000, chunkCount: 0, language: "zh", pageStarts: [0, 1200, 2400],
        createdAt: day, updatedAt: day)
}

func sampleChunks() -> [DocumentChunk] {
    [
        DocumentChunk(index: 0, text: "项籍者，下相人也，字羽。", pages: 1...1, characters: 0..<12, overlap: 0),
        DocumentChunk(index: 1, text: "字羽。\n初起时，年二十四。", pages: 1...2, characters: 14..<24, overlap: 3),
    ]
}

@Suite("Twin store conformance")
struct TwinStoreConformanceTests {
    @Test("a twin is stored whole with its chunks and vectors, found by id and by md5", arguments: StoreBackend.allCases)
    func createAndRead(_ backend: StoreBackend) async throws {
        let store = try await backend.open().twins
        #expect(try await store.twins().isEmpty)
        let stored = try await store.createTwin(sampleTwin(), chunks: sampleChunks(), vectors: [[1, 0], [0, 1]], embeddingModel: "e5")
        #expect(stored.id > 0 && stored.chunkCount == 2)
        #expect(try await store.twin(id: stored.id) == stored)
        #expect(try await store.twin(md5: "abc123") == stored)
        #expect(try await store.twin(md5: "other") == nil)
        #expect(try await store.chunks(twinID: stored.id) == sampleChunks())
        #expect(try await store.chunkVectors(twinID: stored.id, embeddingModel: "e5") == [[1, 0], [0, 1]])
        #expect(try await store.chunkVectors(twinID: stored.id, embeddingModel: "other") == nil)
        let second = try await store.createTwin(sampleTwin(md5: "def", name: "祥林嫂"), chunks: sampleChunks(), vectors: [], embeddingModel: "e5")
        #expect(try await store.twins().map(\.id) == [stored.id, second.id])
    }

    @Test("the same bytes twice are refused by key, and misaligned vectors store nothing", arguments: StoreBackend.allCases)
    func duplicatesAndMisalignment(_ backend: StoreBackend) async throws {
        let store = try await backend.open().twins
        _ = try await store.createTwin(sampleTwin(), chunks: sampleChunks(), vectors: [], embeddingModel: "e5")
        await #expect(throws: DuplicateKey.self) {
            try await store.createTwin(sampleTwin(), chunks: sampleChunks(), vectors: [], embeddingModel: "e5")
        }
        await #expect(throws: RetrievalError.self) {
            try await store.createTwin(sampleTwin(md5: "x"), chunks: sampleChunks(), vectors: [[1]], embeddingModel: "e5")
        }
        #expect(try await store.twins().count == 1)
        #expect(try await store.twin(md5: "x") == nil)
    }

    @Test("updates change name, profile and prompt; deletion takes chunks, vectors and messages with it", arguments: StoreBackend.allCases)
    func updateAndDelete(_ backend: StoreBackend) async throws {
        let store = try await backend.open().twins
        let twin = try await store.createTwin(sampleTwin(), chunks: sampleChunks(), vectors: [[1, 0], [0, 1]], embeddingModel: "e5")
        var profile = twin.profile
        profile.personality = "刚烈"
        let later = day.addingTimeInterval(60)
        let updated = try #require(try await store.updateTwin(id: twin.id, name: "西楚霸王", profile: profile, systemPrompt: "新提示", at: later))
        #expect(updated.name == "西楚霸王" && updated.profile.personality == "刚烈" && updated.systemPrompt == "新提示")
        #expect(updated.updatedAt == later && updated.createdAt == day)
        #expect(try await store.updateTwin(id: 999, name: "x", profile: profile, systemPrompt: "x", at: later) == nil)

        let citation = Citation(marker: 1, chunkID: 0, page: 1, pages: [1], snippet: "项籍者，下相人也", twinID: twin.id)
        try await store.appendMessages([
            TwinMessage(twinID: twin.id, sessionID: "s1", sender: "user", text: "你是谁？", citations: [], createdAt: day),
            TwinMessage(twinID: twin.id, sessionID: "s1", sender: "项羽", text: "我乃项籍[1]", citations: [citation], createdAt: later),
            TwinMessage(twinID: twin.id, sessionID: "s2", sender: "user", text: "别的会话", citations: [], createdAt: later),
        ])
        let messages = try await store.messages(twinID: twin.id, sessionID: "s1", limit: 10)
        #expect(messages.map(\.text) == ["你是谁？", "我乃项籍[1]"])
        #expect(messages[1].citations == [citation])
        #expect(try await store.messages(twinID: twin.id, sessionID: "s1", limit: 1).map(\.text) == ["我乃项籍[1]"])
        await #expect(throws: (any Error).self) {
            try await store.appendMessages([TwinMessage(twinID: 999, sessionID: "s", sender: "u", text: "t", citations: [], createdAt: day)])
        }

        #expect(try await store.deleteTwin(id: twin.id))
        #expect(try await store.twin(id: twin.id) == nil)
        #expect(try await store.chunks(twinID: twin.id).isEmpty)
        #expect(try await store.chunkVectors(twinID: twin.id, embeddingModel: "e5") == nil)
        #expect(try await store.messages(twinID: twin.id, sessionID: "s1", limit: 10).isEmpty)
        #expect(try await !store.deleteTwin(id: twin.id))
    }

    @Test("vectors for another embedding model are added beside the first", arguments: StoreBackend.allCases)
    func vectorsPerModel(_ backend: StoreBackend) async throws {
        let store = try await backend.open().twins
        let twin = try await store.createTwin(sampleTwin(), chunks: sampleChunks(), vectors: [[1, 0], [0, 1]], embeddingModel: "e5")
        try await store.storeChunkVectors(twinID: twin.id, vectors: [[0.5, 0.5, 0], [0, 0, 1]], embeddingModel: "v2")
        #expect(try await store.chunkVectors(twinID: twin.id, embeddingModel: "v2") == [[0.5, 0.5, 0], [0, 0, 1]])
        #expect(try await store.chunkVectors(twinID: twin.id, embeddingModel: "e5") == [[1, 0], [0, 1]])
        await #expect(throws: RetrievalError.self) {
            try await store.storeChunkVectors(twinID: twin.id, vectors: [[1]], embeddingModel: "v3")
        }
    }
}
