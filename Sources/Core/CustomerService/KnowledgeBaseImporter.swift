import Crypto
import Foundation

/// Imports a 5-column knowledge-base CSV: validates it whole, extracts keywords, embeds every phrasing, and
/// only then replaces that file's rows in one transaction, so a failure at any step leaves the old rows intact.
public struct KnowledgeBaseImporter: Sendable {
    public let store: any CustomerServiceStore
    public let embedder: CachingEmbedder
    public let keywords: KeywordExtractor
    /// The terms BM25 indexes, for the self-calibration.
    public let tokenizer: SearchTokenizer
    /// The calibration in force when the knowledge base cannot calibrate itself.
    public let defaultCalibration: RetrievalCalibration
    /// The input type phrasings are embedded with (E5 servers: "query" keeps both sides symmetric).
    public let inputType: String?
    private let now: @Sendable () -> Date

    public init(
        store: any CustomerServiceStore, embedder: CachingEmbedder, keywords: KeywordExtractor,
        tokenizer: SearchTokenizer, defaultCalibration: RetrievalCalibration = .standard,
        inputType: String? = CustomerServiceMatcher.defaultInputType, now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.store = store
        self.embedder = embedder
        self.keywords = keywords
        self.tokenizer = tokenizer
        self.defaultCalibration = defaultCalibration
        self.inputType = inputType
        self.now = now
    }

    /// The hex MD5 of a file's bytes, as the registry records it.
    public static func md5(_ data: Data) -> String {
        Insecure.MD5.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    /// Imports `data` as `fileName`: a byte-identical file already imported, under this name or another, is a no-op
    /// (importing it again under a new name would only duplicate every row).
    public func importFile(_ data: Data, fileName: String) async throws -> ImportOutcome {
        let name = Self.cleanFileName(fileName)
        let md5 = Self.md5(data)
        if let existing = try await store.registryRecord(md5: md5) {
            let which = existing.fileName == name ? name : "\(name) has the same content as \(existing.fileName), which"
            return ImportOutcome(
                status: .unchanged, fileName: existing.fileName, md5: md5, count: existing.rowCount, replacedRows: 0,
                totalRows: try await store.knowledgeEntryCount(), encoding: "",
                message: "\(which) is already imported (md5 \(md5)); nothing changed")
        }
        let (entries, encoding) = try KnowledgeBaseCSV.parse(data)
        let entryKeywords = entries.map { keywords.keywords($0.phrasings.joined(separator: "\n") + "\n" + $0.standardScript) }
        // Embedding first: vectors land in the cache, and a failure here stores no row at all.
        _ = try await embedder.embed(KnowledgeEntry.phrasings(of: entries), inputType: inputType)
        let selfCalibration = try await selfCalibration(replacing: name, with: entries)
        let replaced = try await store.replaceKnowledgeBase(
            fileName: name, md5: md5, encoding: encoding.rawValue, entries: entries, keywords: entryKeywords,
            selfCalibration: selfCalibration, at: now())
        let total = try await store.knowledgeEntryCount()
        let inForce = try await store.calibration(embeddingModel: embedder.client.models.embedding) ?? defaultCalibration
        let status: ImportOutcome.Status = replaced > 0 ? .replaced : .imported
        let message = status == .replaced
            ? "replaced \(replaced) rows of \(name) with \(entries.count); the knowledge base holds \(total) rows"
            : "imported \(entries.count) rows from \(name); the knowledge base holds \(total) rows"
        return ImportOutcome(
            status: status, fileName: name, md5: md5, count: entries.count, replacedRows: replaced, totalRows: total,
            encoding: encoding.rawValue, message: message + "; " + Self.describe(inForce),
            calibration: CalibrationSummary(inForce))
    }

    /// The knowledge base as it will be after the import, calibrated from its own phrasings (nil inside: it cannot
    /// calibrate itself).
    private func selfCalibration(replacing name: String, with entries: [KnowledgeEntry]) async throws -> SelfCalibrationUpdate {
        let others = try await store.knowledgeEntries().filter { $0.sourceFile != name }
        let all = others.map(\.entry) + entries
        let phrasings = KnowledgeEntry.phrasings(of: all)
        let vectors = try await embedder.embed(phrasings, inputType: inputType)
        let fitted = try SelfCalibration.fit(
            units: KnowledgeEntry.retrievalUnits(of: all), unitTerms: phrasings.map(tokenizer.terms),
            unitVectors: vectors, defaultHigh: defaultCalibration.fitFloors.high,
            defaultMid: defaultCalibration.fitFloors.mid)
        return SelfCalibrationUpdate(embeddingModel: embedder.client.models.embedding, calibration: fitted)
    }

    /// One sentence on the calibration in force.
    static func describe(_ calibration: RetrievalCalibration) -> String {
        switch calibration.source {
        case .labelled:
            return "matching uses the calibration fitted on \(calibration.calibrationQueries) labelled questions"
        case .selfFitted:
            return "matching is calibrated from the knowledge base itself (\(calibration.calibrationQueries) phrasings held out in turn)"
        case .default:
            return "matching uses the default calibration (too few topics with several phrasings to calibrate from)"
        }
    }

    /// The last path component, so "../x.csv" and "C:\\dir\\x.csv" name the same registry entry as "x.csv".
    static func cleanFileName(_ fileName: String) -> String {
        let last = fileName.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        let trimmed = last.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? "upload.csv" : String(trimmed.prefix(255))
    }
}
