import Foundation

/// Why the copilot could not take a material or answer; messages carry no internal detail.
public enum CopilotError: Error, Equatable, Sendable, CustomStringConvertible, ConversationFailure {
    case unsupportedFormat(String)
    case tooLarge(bytes: Int, limit: Int)
    case notFound(Int)
    /// The material was read but gave nothing to retrieve.
    case noUnits

    public var description: String {
        switch self {
        case .unsupportedFormat(let name): return "\(name) is neither a PDF nor an XLSX workbook; upload sales materials as .pdf or .xlsx"
        case .tooLarge(let bytes, let limit): return "the file is \(bytes / 1024 / 1024) MB, over the \(limit / 1024 / 1024) MB limit; nothing was stored"
        case .notFound(let id): return "no sales material with id \(id)"
        case .noUnits: return "the material holds no text to retrieve; nothing was stored"
        }
    }

    public var code: String {
        switch self {
        case .unsupportedFormat: return "unsupported_format"
        case .tooLarge: return "too_large"
        case .notFound: return "material_not_found"
        case .noUnits: return "empty"
        }
    }

    public var userMessage: String { description }
}

/// A retrieved unit with the material it came from and its scores.
public struct CopilotHit: Sendable, Equatable, Encodable {
    public var materialID: Int
    public var fileName: String
    public var unit: SalesMaterialUnit
    public var location: String
    public var score: Double
    public var bm25: Double
    public var cosine: Double

    enum CodingKeys: String, CodingKey {
        case text, sheet, rows, pages, location, score, bm25, cosine
        case materialID = "material_id"
        case fileName = "file_name"
        case unitIndex = "unit"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(materialID, forKey: .materialID)
        try container.encode(fileName, forKey: .fileName)
        try container.encode(unit.index, forKey: .unitIndex)
        try container.encode(unit.text, forKey: .text)
        try container.encodeIfPresent(unit.sheet, forKey: .sheet)
        try container.encodeIfPresent(unit.rows.map { [$0.lowerBound, $0.upperBound] }, forKey: .rows)
        try container.encodeIfPresent(unit.pages.map { [$0.lowerBound, $0.upperBound] }, forKey: .pages)
        try container.encode(location, forKey: .location)
        try container.encode((score * 10_000).rounded() / 10_000, forKey: .score)
        try container.encode((bm25 * 10_000).rounded() / 10_000, forKey: .bm25)
        try container.encode((cosine * 10_000).rounded() / 10_000, forKey: .cosine)
    }
}

/// Sales training's copilot: the company's sales materials (PDF and XLSX), hybrid retrieval over them with
/// provenance, and three suggested next lines grounded in what it retrieved.
public actor SalesCopilot {
    public nonisolated let store: any SalesMaterialStore
    public nonisolated let client: LLMClient
    let embedder: CachingEmbedder
    let documents: DocumentReader
    let spreadsheets: any SpreadsheetReader
    let chunker: DocumentChunker
    let tokenizer: SearchTokenizer
    let now: @Sendable () -> Date
    /// When the materials are many enough for an HNSW graph, and where it is kept.
    let denseSearch: DenseSearchPolicy
    /// z-scored BM25 and cosine, the fusion measured best for the twins' passages, which these units resemble.
    public static let fusion = Fusion.zScore(weight: 0.55)
    /// The index over every material's units, rebuilt when the set of materials changes.
    private var cached: (ids: [Int], index: HybridIndex, units: [(material: SalesMaterial, unit: SalesMaterialUnit)])?

    public init(
        store: any SalesMaterialStore, client: LLMClient, embedder: CachingEmbedder, documents: DocumentReader,
        spreadsheets: any SpreadsheetReader, tokenizer: SearchTokenizer, chunker: DocumentChunker = DocumentChunker(),
        denseSearch: DenseSearchPolicy = DenseSearchPolicy(), now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.denseSearch = denseSearch.forCorpus("sales-materials")
        self.store = store
        self.client = client
        self.embedder = embedder
        self.documents = documents
        self.spreadsheets = spreadsheets
        self.tokenizer = tokenizer
        self.chunker = chunker
        self.now = now
    }

    /// Reads, embeds and stores a material, or returns the one made from the same bytes (`created` false). Nothing
    /// is stored unless all of it worked.
    public func upload(_ data: Data, fileName: String) async throws -> (material: SalesMaterial, created: Bool) {
        try await client.metrics.timingImport("sales_material") { try await ingest(data, fileName: fileName) }
    }

    private func ingest(_ data: Data, fileName: String) async throws -> (material: SalesMaterial, created: Bool) {
        guard data.count <= documents.limits.maximumBytes else {
            throw CopilotError.tooLarge(bytes: data.count, limit: documents.limits.maximumBytes)
        }
        let md5 = KnowledgeBaseImporter.md5(data)
        if let existing = try await store.salesMaterial(md5: md5) { return (existing, false) }
        let format: SalesMaterial.Format
        let units: [SalesMaterialUnit]
        switch (fileName as NSString).pathExtension.lowercased() {
        case "xlsx":
            format = .xlsx
            units = SalesMaterialUnits.units(of: try spreadsheets.sheets(of: data))
        case "pdf":
            format = .pdf
            units = SalesMaterialUnits.units(of: try documents.read(data, fileName: fileName), chunker: chunker)
        default:
            throw CopilotError.unsupportedFormat(String(fileName.suffix(80)))
        }
        guard !units.isEmpty else { throw CopilotError.noUnits }
        // Embedded now, so a failing embedding service refuses the upload instead of the first query.
        _ = try await embedder.embed(units.map(\.text), inputType: "passage")
        let material = SalesMaterial(fileName: fileName, md5: md5, format: format, units: units, createdAt: now())
        do {
            return (try await store.createSalesMaterial(material), true)
        } catch is DuplicateKey {
            // The same bytes uploaded at the same time: the other upload stored them.
            guard let existing = try await store.salesMaterial(md5: md5) else { throw CopilotError.noUnits }
            return (existing, false)
        }
    }

    /// Every material, oldest first.
    public func materials() async throws -> [SalesMaterial] { try await store.salesMaterials() }

    /// Deletes a material.
    public func delete(id: Int) async throws {
        guard try await store.deleteSalesMaterial(id: id) else { throw CopilotError.notFound(id) }
    }

    /// The `limit` units that best match `text`, best first, with where they are; empty without materials.
    public func query(_ text: String, limit: Int = 5) async throws -> [CopilotHit] {
        // Every training turn queries: the units are read and indexed again only when the set of materials changed.
        let ids = try await store.salesMaterialIDs()
        guard !ids.isEmpty else { return [] }
        // Nil when the materials were deleted since their ids were read.
        guard let (index, units) = try await index(of: ids) else { return [] }
        let vector = try await embedder.embed([text], inputType: "query")[0]
        let candidates = try index.rank(terms: tokenizer.terms(text), vector: vector, fusion: Self.fusion, limit: limit)
        return candidates.map { candidate in
            let (material, unit) = units[candidate.record]
            return CopilotHit(
                materialID: material.id, fileName: material.fileName, unit: unit,
                location: unit.location(chinese: MessageText.isChinese(unit.text)), score: Double(candidate.fused),
                bm25: Double(candidate.bm25), cosine: Double(candidate.cosine))
        }
    }

    private func index(of ids: [Int]) async throws -> (HybridIndex, [(material: SalesMaterial, unit: SalesMaterialUnit)])? {
        if let cached, cached.ids == ids { return (cached.index, cached.units) }
        let materials = try await store.salesMaterials()
        let units = materials.flatMap { material in material.units.map { (material: material, unit: $0) } }
        guard !units.isEmpty else { return nil }
        let vectors = try await embedder.embed(units.map(\.unit.text), inputType: "passage")
        let retrievalUnits = units.enumerated().map { position, entry in
            RetrievalUnit(
                text: entry.unit.text, group: "unit-\(position)",
                provenance: Provenance(
                    source: entry.material.fileName, record: position, row: entry.unit.rows?.lowerBound, pages: entry.unit.pages))
        }
        let index = try HybridIndex(
            units: retrievalUnits, unitTerms: units.map { tokenizer.terms(String($0.unit.ownText)) }, unitVectors: vectors,
            lexicalParameters: PassageIndex.lexicalParameters, denseSearch: denseSearch,
            corpusVersion: KnowledgeBaseImporter.md5(Data("\(materials.map(\.id))-\(embedder.client.models.embedding)".utf8)))
        cached = (materials.map(\.id), index, units)
        return (index, units)
    }
}
