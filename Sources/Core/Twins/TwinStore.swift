import Foundation

/// A stored twin: its document's facts, profile and persona prompt.
public struct TwinRecord: Sendable, Codable, Equatable {
    public var id: Int
    public var name: String
    public var sourceType: TwinSourceType
    public var profile: TwinProfile
    public var systemPrompt: String
    public var fileName: String
    /// MD5 of the uploaded bytes: the same bytes again are the same twin.
    public var md5: String
    public var format: DocumentText.Format
    public var pages: Int
    public var characters: Int
    public var chunkCount: Int
    /// "zh" or "en": the language the twin answers in.
    public var language: String
    /// Where each page begins in the document's full text (for citation pages).
    public var pageStarts: [Int]
    public var createdAt: Date
    public var updatedAt: Date

    public var isChinese: Bool { language == "zh" }

    public init(
        id: Int, name: String, sourceType: TwinSourceType, profile: TwinProfile, systemPrompt: String, fileName: String,
        md5: String, format: DocumentText.Format, pages: Int, characters: Int, chunkCount: Int, language: String,
        pageStarts: [Int], createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.name = name
        self.sourceType = sourceType
        self.profile = profile
        self.systemPrompt = systemPrompt
        self.fileName = fileName
        self.md5 = md5
        self.format = format
        self.pages = pages
        self.characters = characters
        self.chunkCount = chunkCount
        self.language = language
        self.pageStarts = pageStarts
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// One line of a twin conversation, kept with the twin so deleting it deletes its history.
public struct TwinMessage: Sendable, Codable, Equatable {
    public var twinID: Int
    public var sessionID: String
    /// "user" or the twin's name.
    public var sender: String
    public var text: String
    public var citations: [Citation]
    public var createdAt: Date

    public init(twinID: Int, sessionID: String, sender: String, text: String, citations: [Citation], createdAt: Date) {
        self.twinID = twinID
        self.sessionID = sessionID
        self.sender = sender
        self.text = text
        self.citations = citations
        self.createdAt = createdAt
    }
}

/// Twins, their chunks and chunk vectors, and their conversations. Every write is one transaction: a twin is stored
/// whole or not at all, and deleted with everything it owns.
public protocol TwinStore: Sendable {
    /// Every twin, oldest first.
    func twins() async throws -> [TwinRecord]
    func twin(id: Int) async throws -> TwinRecord?
    /// The twin made from these exact bytes, if any.
    func twin(md5: String) async throws -> TwinRecord?
    /// Stores a twin (its `id` is assigned), its chunks and their vectors under `embeddingModel`; returns it stored.
    func createTwin(_ twin: TwinRecord, chunks: [DocumentChunk], vectors: [[Float]], embeddingModel: String) async throws -> TwinRecord
    /// Replaces a twin's name, profile and system prompt; nil when there is no such twin.
    func updateTwin(id: Int, name: String, profile: TwinProfile, systemPrompt: String, at date: Date) async throws -> TwinRecord?
    /// Deletes a twin with its chunks, vectors and messages; false when there was no such twin.
    func deleteTwin(id: Int) async throws -> Bool
    /// A twin's chunks in document order.
    func chunks(twinID: Int) async throws -> [DocumentChunk]
    /// A twin's chunk vectors under `embeddingModel`, in chunk order; nil when none were stored for that model.
    func chunkVectors(twinID: Int, embeddingModel: String) async throws -> [[Float]]?
    /// Stores chunk vectors for another embedding model.
    func storeChunkVectors(twinID: Int, vectors: [[Float]], embeddingModel: String) async throws
    /// Appends conversation lines.
    func appendMessages(_ messages: [TwinMessage]) async throws
    /// The last `limit` messages of a twin in a session, oldest first.
    func messages(twinID: Int, sessionID: String, limit: Int) async throws -> [TwinMessage]
}
