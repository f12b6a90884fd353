import Foundation

/// An uploaded document to make a twin of.
public struct TwinUpload: Sendable {
    public var data: Data
    public var fileName: String
    public var sourceType: TwinSourceType
    /// The name the user gave; it wins over the one the profile call extracts.
    public var name: String?

    public init(data: Data, fileName: String, sourceType: TwinSourceType, name: String?) {
        self.data = data
        self.fileName = fileName
        self.sourceType = sourceType
        self.name = name
    }
}

/// Why a twin could not be made or found; messages carry no internal detail.
public enum TwinError: Error, Equatable, Sendable, CustomStringConvertible, ConversationFailure {
    case notFound(Int)
    /// The profile call gave no usable answer within its attempts; nothing was stored.
    case profileFailed
    case invalidName
    /// An edited profile that does not hold together (a death before the birth, a birth in the future).
    case invalidProfile(String)

    public var description: String {
        switch self {
        case .notFound(let id): return "no twin with id \(id)"
        case .profileFailed: return "the profile of this document could not be extracted; nothing was stored, try again"
        case .invalidName: return "a twin's name must be 1 to 200 characters"
        case .invalidProfile(let reason): return "the profile is not valid: \(reason)"
        }
    }

    public var code: String {
        switch self {
        case .notFound: return "twin_not_found"
        case .profileFailed: return "profile_failed"
        case .invalidName: return "invalid_name"
        case .invalidProfile: return "invalid_profile"
        }
    }

    public var userMessage: String { description }
}

/// A twin's answer to one question.
public struct TwinAnswer: Sendable, Equatable {
    public var text: String
    /// The passages the reply cites (markers it used that point at passages it was given); empty for a refusal.
    public var citations: [Citation]
    /// Every passage the reply was given, cited or not: what a reader checks the answer against; empty for a refusal.
    public var sources: [Citation]
    /// Whether the document held no evidence, so the twin declined in character.
    public var refused: Bool
    /// The retrieval evidence (0...1) the decision was made on.
    public var evidence: Double
}

/// The twins: making one from a document (read, chunk, profile, embed, store in one transaction), keeping their
/// passage indexes, and answering questions from them with citations or an in-character refusal.
public actor TwinLibrary {
    public let store: any TwinStore
    public let client: LLMClient
    public let reader: DocumentReader
    public nonisolated let tokenizer: SearchTokenizer
    public let chunker: DocumentChunker
    public let gates: EvidenceGates
    /// Estimated tokens of document text one prompt carries at most: the profile call's sample (from the start,
    /// middle and end) and an answer's passages.
    public let promptTokens: Int
    /// When a twin's document is large enough for an HNSW graph, and where graphs are kept.
    public let denseSearch: DenseSearchPolicy
    private let now: @Sendable () -> Date
    private var indexes: [Int: (updatedAt: Date, index: PassageIndex)] = [:]

    public init(
        store: any TwinStore, client: LLMClient, reader: DocumentReader, tokenizer: SearchTokenizer,
        chunker: DocumentChunker = DocumentChunker(), gates: EvidenceGates = .lexical, promptTokens: Int = 6_000,
        denseSearch: DenseSearchPolicy = DenseSearchPolicy(), now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.denseSearch = denseSearch
        self.store = store
        self.client = client
        self.reader = reader
        self.tokenizer = tokenizer.addingBigrams()
        self.chunker = chunker
        self.gates = gates.applicable(to: client.models.embedding)
        self.promptTokens = promptTokens
        self.now = now
    }

    /// The library the server runs: the store's twins, the configured limits and the evidence gate file.
    public static func make(
        store: any VividCrowdStore, llm: LLMClient, pdf: any PDFTextReader, configuration: VividCrowdConfiguration, corpora: URL,
        segmenter: JiebaSegmenter? = nil, now: @escaping @Sendable () -> Date = Date.init
    ) throws -> TwinLibrary {
        let gates = try EvidenceGates.load(path: configuration.twins.evidenceGatePath) ?? .lexical
        return TwinLibrary(
            store: store.twins, client: llm, reader: DocumentReader(pdf: pdf, limits: configuration.twins.limits),
            tokenizer: SearchTokenizer(
                segmenter: try segmenter ?? JiebaSegmenter(directory: corpora.appendingPathComponent("jieba")),
                scriptFolding: try ChineseScriptFolding(directory: corpora.appendingPathComponent("opencc"))),
            gates: gates, promptTokens: configuration.twins.promptTokens,
            denseSearch: configuration.retrieval.denseSearch, now: now)
    }

    // MARK: - Making twins

    /// Makes a twin of `upload`, or returns the existing one made from the same bytes (`created` false).
    public func create(_ upload: TwinUpload) async throws -> (twin: TwinRecord, created: Bool) {
        try await client.metrics.timingImport("twin") { try await make(upload) }
    }

    private func make(_ upload: TwinUpload) async throws -> (twin: TwinRecord, created: Bool) {
        let md5 = KnowledgeBaseImporter.md5(upload.data)
        if let existing = try await store.twin(md5: md5) { return (existing, false) }
        if let name = upload.name, !(1...200).contains(name.trimmingCharacters(in: .whitespacesAndNewlines).count) {
            throw TwinError.invalidName
        }
        let document = try reader.read(upload.data, fileName: upload.fileName)
        let chunks = chunker.chunks(of: document)
        guard !chunks.isEmpty else { throw DocumentError.empty }
        let fullText = document.fullText
        let chinese = document.language == "zh"
        var profile = try await extractProfile(of: fullText, type: upload.sourceType, chinese: chinese)
        if let name = upload.name?.trimmingCharacters(in: .whitespacesAndNewlines), !name.isEmpty { profile.name = name }
        let vectors = try await client.embed(chunks.map(\.text), inputType: "passage")
        let date = now()
        let record = TwinRecord(
            id: 0, name: profile.name, sourceType: upload.sourceType, profile: profile,
            systemPrompt: TwinPrompts.systemPrompt(profile: profile, type: upload.sourceType, chinese: chinese),
            fileName: (upload.fileName as NSString).lastPathComponent, md5: md5, format: document.format,
            pages: document.pages.count, characters: document.visibleCharacters, chunkCount: chunks.count,
            language: chinese ? "zh" : "en", pageStarts: document.pageStarts, createdAt: date, updatedAt: date)
        do {
            return (try await store.createTwin(record, chunks: chunks, vectors: vectors, embeddingModel: client.models.embedding), true)
        } catch is DuplicateKey {
            // Another upload of the same bytes won the race: that twin is this one.
            guard let existing = try await store.twin(md5: md5) else { throw TwinError.profileFailed }
            return (existing, false)
        }
    }

    /// The profile from one structured call over a sample of the document within `promptTokens`.
    func extractProfile(of text: String, type: TwinSourceType, chinese: Bool) async throws -> TwinProfile {
        let sample = Self.sample(text, budget: Self.characters(fitting: promptTokens, like: text))
        let fields = TwinProfile.fields(for: type).map(\.rawValue).joined(separator: ", ")
        let instruction = chinese
            ? "下面是一份关于某个\(["person": "人物", "book": "书籍", "topic": "主题"][type.rawValue]!)的资料节选。只根据资料，用 JSON 给出这些字段：\(fields)。资料没有提到的字段填 null（列表填 []），不要编造。\n\n资料：\n\(sample)"
            : "Below are excerpts of a document about a \(type.rawValue). From the document only, give these fields as JSON: \(fields). Use null (or [] for lists) for anything it does not say; invent nothing.\n\nDocument:\n\(sample)"
        let year = Calendar(identifier: .gregorian).component(.year, from: now())
        let request = StructuredRequest<TwinProfile>(
            model: client.models.chat, messages: [.user(instruction)], schema: TwinProfile.schema(for: type), temperature: 0,
            seed: 7, maxTokens: 800, attempts: 3, validate: { try $0.validated(today: year) })
        do {
            return try await client.structured(request)
        } catch is StructuredOutputError {
            throw TwinError.profileFailed
        }
    }

    /// A conservative token estimate: tokenizers of small models spend up to about 1.5 tokens on a Chinese character
    /// and about one on four letters of English.
    public static func estimatedTokens(_ text: String) -> Int {
        var tokens = 0.0
        for scalar in text.unicodeScalars where !scalar.properties.isWhitespace {
            tokens += DocumentChunker.isWide(scalar) ? 1.5 : 0.3
        }
        return Int(tokens.rounded(.up))
    }

    /// How many characters of text like `sample` fit in `tokens`.
    static func characters(fitting tokens: Int, like sample: String) -> Int {
        let probe = String(sample.prefix(4_000))
        let perCharacter = max(0.05, Double(estimatedTokens(probe)) / Double(max(1, probe.count)))
        return Int(Double(tokens) / perCharacter)
    }

    /// The start, middle and end of a text within `budget` characters, or all of it when it fits.
    public static func sample(_ text: String, budget: Int) -> String {
        guard text.count > budget else { return text }
        let part = budget / 3
        let middle = text.index(text.startIndex, offsetBy: text.count / 2 - part / 2)
        return [
            String(text.prefix(part)), String(text[middle...].prefix(part)), String(text.suffix(part)),
        ].joined(separator: "\n…\n")
    }

    // MARK: - Reading and editing

    public func twins() async throws -> [TwinRecord] { try await store.twins() }

    public func twin(id: Int) async throws -> TwinRecord {
        guard let twin = try await store.twin(id: id) else { throw TwinError.notFound(id) }
        return twin
    }

    /// Changes a twin's name, profile or system prompt; a changed name or profile without a new prompt regenerates
    /// it, and the twin's name and its profile's name stay the same.
    public func update(id: Int, name: String?, profile: TwinProfile?, systemPrompt: String?) async throws -> TwinRecord {
        let twin = try await twin(id: id)
        // The twin's name and its profile's name stay one: a new name renames the profile, a new profile renames the twin.
        let newName = (name ?? profile?.name)?.trimmingCharacters(in: .whitespacesAndNewlines) ?? twin.name
        guard (1...200).contains(newName.count) else { throw TwinError.invalidName }
        var newProfile = profile ?? twin.profile
        if let profile {
            do {
                newProfile = try profile.validated(today: Calendar(identifier: .gregorian).component(.year, from: now()))
            } catch let problem as StructuredOutputProblem {
                throw TwinError.invalidProfile(problem.description)
            }
        }
        newProfile.name = newName
        let prompt = systemPrompt
            ?? (profile != nil || name != nil
                ? TwinPrompts.systemPrompt(profile: newProfile, type: twin.sourceType, chinese: twin.isChinese) : twin.systemPrompt)
        guard let updated = try await store.updateTwin(id: id, name: newName, profile: newProfile, systemPrompt: prompt, at: now()) else {
            throw TwinError.notFound(id)
        }
        return updated
    }

    /// Deletes a twin with its chunks, vectors and conversations.
    public func delete(id: Int) async throws {
        guard try await store.deleteTwin(id: id) else { throw TwinError.notFound(id) }
        indexes[id] = nil
    }

    // MARK: - Answering

    /// The passage index of a twin, built once per version of the twin (vectors embedded now if the configured
    /// embedding model has none stored).
    public func index(for twin: TwinRecord) async throws -> PassageIndex {
        if let cached = indexes[twin.id], cached.updatedAt == twin.updatedAt { return cached.index }
        let chunks = try await store.chunks(twinID: twin.id)
        var vectors = try await store.chunkVectors(twinID: twin.id, embeddingModel: client.models.embedding)
        if vectors == nil {
            let fresh = try await client.embed(chunks.map(\.text), inputType: "passage")
            try await store.storeChunkVectors(twinID: twin.id, vectors: fresh, embeddingModel: client.models.embedding)
            vectors = fresh
        }
        let index = try PassageIndex(
            chunks: chunks, terms: chunks.map { PassageIndex.terms(of: $0, tokenizer: tokenizer) }, vectors: vectors ?? [], source: twin.fileName,
            denseSearch: denseSearch.forCorpus("twin-\(twin.id)"),
            version: "\(Int(twin.updatedAt.timeIntervalSince1970 * 1000))-\(client.models.embedding)",
            scriptFolding: tokenizer.scriptFolding)
        indexes[twin.id] = (twin.updatedAt, index)
        return index
    }

    /// Retrieves the passages for `question` and decides whether they are evidence enough to answer.
    public func retrieve(_ question: String, twin: TwinRecord, limit: Int = 5) async throws -> (ranking: PassageRanking, evidence: Double) {
        let index = try await index(for: twin)
        let vector = try await client.embed([index.questionForEmbedding(question)], inputType: "query")[0]
        let gate = gates.gate(for: twin.language)
        let ranking = try index.search(terms: tokenizer.terms(question), vector: vector, fusion: gate.fusion, limit: limit)
        return (ranking, gate.evidence(ranking.candidates))
    }

    /// Answers `question` as `twin`, streaming the reply's text through `onText`; cites the passages it used, or
    /// refuses in character (no LLM call) when the document holds no evidence.
    public func answer(
        _ question: String, twin: TwinRecord, history: [ChatMessage], mode: TwinReplyMode,
        onText: @escaping @Sendable (String) async -> Void
    ) async throws -> TwinAnswer {
        let (ranking, evidence) = try await retrieve(question, twin: twin)
        guard evidence >= gates.gate(for: twin.language).threshold, !ranking.chunks.isEmpty else {
            let text = TwinPrompts.refusal(name: twin.name, type: twin.sourceType, chinese: twin.isChinese)
            await onText(text)
            return TwinAnswer(text: text, citations: [], sources: [], refused: true, evidence: evidence)
        }
        // The best passages that fit the prompt budget (at least one, or there is nothing to cite).
        var passages: [DocumentChunk] = []
        var spent = 0
        for chunk in ranking.chunks.prefix(mode == .private ? 5 : 3) {
            let cost = Self.estimatedTokens(chunk.text)
            if !passages.isEmpty, spent + cost > promptTokens { break }
            passages.append(chunk)
            spent += cost
        }
        let messages = TwinPrompts.answerMessages(
            systemPrompt: twin.systemPrompt, passages: passages, question: question, history: history, mode: mode,
            chinese: twin.isChinese)
        var text = ""
        for try await event in client.stream(ChatRequest(model: client.models.chat, messages: messages, temperature: 0.7, seed: 7, maxTokens: mode.maxTokens)) {
            if case .delta(let piece) = event, !piece.isEmpty {
                text += piece
                await onText(piece)
            }
        }
        var citations = CitationExtractor.citations(in: text, passages: passages, pageStarts: twin.pageStarts)
        var sources = CitationExtractor.sources(of: passages, for: text, pageStarts: twin.pageStarts)
        for index in citations.indices { citations[index].twinID = twin.id }
        for index in sources.indices { sources[index].twinID = twin.id }
        return TwinAnswer(text: text, citations: citations, sources: sources, refused: false, evidence: evidence)
    }
}
