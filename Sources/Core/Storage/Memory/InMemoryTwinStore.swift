import Foundation

/// Twins in memory, with the same semantics as the database backends.
public actor InMemoryTwinStore: TwinStore {
    private var records: [Int: TwinRecord] = [:]
    private var chunksByTwin: [Int: [DocumentChunk]] = [:]
    private var vectorsByTwin: [Int: [String: [[Float]]]] = [:]
    private var messagesByTwin: [Int: [TwinMessage]] = [:]
    private var nextID = 1

    public init() {}

    public func twins() -> [TwinRecord] { records.values.sorted { $0.id < $1.id } }

    public func twin(id: Int) -> TwinRecord? { records[id] }

    public func twin(md5: String) -> TwinRecord? { records.values.first { $0.md5 == md5 } }

    public func createTwin(_ twin: TwinRecord, chunks: [DocumentChunk], vectors: [[Float]], embeddingModel: String) throws -> TwinRecord {
        guard records.values.allSatisfy({ $0.md5 != twin.md5 }) else { throw DuplicateKey(key: "twin with md5 \(twin.md5)") }
        guard vectors.isEmpty || vectors.count == chunks.count else {
            throw RetrievalError.misalignedInputs(units: chunks.count, termLists: chunks.count, vectors: vectors.count)
        }
        var stored = twin
        stored.id = nextID
        stored.chunkCount = chunks.count
        nextID += 1
        records[stored.id] = stored
        chunksByTwin[stored.id] = chunks
        if !vectors.isEmpty { vectorsByTwin[stored.id] = [embeddingModel: vectors] }
        return stored
    }

    public func updateTwin(id: Int, name: String, profile: TwinProfile, systemPrompt: String, at date: Date) -> TwinRecord? {
        guard var record = records[id] else { return nil }
        record.name = name
        record.profile = profile
        record.systemPrompt = systemPrompt
        record.updatedAt = date
        records[id] = record
        return record
    }

    public func deleteTwin(id: Int) -> Bool {
        guard records.removeValue(forKey: id) != nil else { return false }
        chunksByTwin[id] = nil
        vectorsByTwin[id] = nil
        messagesByTwin[id] = nil
        return true
    }

    public func chunks(twinID: Int) -> [DocumentChunk] { chunksByTwin[twinID] ?? [] }

    public func chunkVectors(twinID: Int, embeddingModel: String) -> [[Float]]? { vectorsByTwin[twinID]?[embeddingModel] }

    public func storeChunkVectors(twinID: Int, vectors: [[Float]], embeddingModel: String) throws {
        guard let chunks = chunksByTwin[twinID] else { throw MissingReference(reference: "twin \(twinID)") }
        guard vectors.count == chunks.count else {
            throw RetrievalError.misalignedInputs(units: chunks.count, termLists: chunks.count, vectors: vectors.count)
        }
        vectorsByTwin[twinID, default: [:]][embeddingModel] = vectors
    }

    public func appendMessages(_ messages: [TwinMessage]) throws {
        for message in messages where records[message.twinID] == nil {
            throw MissingReference(reference: "twin \(message.twinID)")
        }
        for message in messages { messagesByTwin[message.twinID, default: []].append(message) }
    }

    public func messages(twinID: Int, sessionID: String, limit: Int) -> [TwinMessage] {
        Array((messagesByTwin[twinID] ?? []).filter { $0.sessionID == sessionID }.suffix(max(0, limit)))
    }

    /// Deletes messages written before `date`; returns how many.
    func pruneMessages(before date: Date) -> Int {
        var removed = 0
        for (id, messages) in messagesByTwin {
            let kept = messages.filter { $0.createdAt >= date }
            removed += messages.count - kept.count
            messagesByTwin[id] = kept
        }
        return removed
    }
}
