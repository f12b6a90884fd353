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
    /// Whether imports fit a calibration from the knowledge base itself (not when the weights are configured).
    public let selfCalibrates: Bool
    /// The input type phrasings are embedded with (E5 servers: "query" keeps both sides symmetric).
    public let inputType: String?
    private let now: @Sendable () -> Date

    public init(
        store: any CustomerServiceStore, embedder: CachingEmbedder, keywords: KeywordExtractor,
        tokenizer: SearchTokenizer, defaultCalibration: RetrievalCalibration = .standard, selfCalibrates: Bool = true,
        inputType: String? = CustomerServiceMatcher.defaultInputType, now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.store = store
        self.embedder = embedder
        self.keywords = keywords
        self.tokenizer = tokenizer
        self.defaultCalibration = defaultCalibration
        self.selfCalibrates = selfCalibrates
        self.inputType = inputType
        self.now = now
    }

    /// The hex MD5 of a file's bytes, as the registry records it.
    public static func md5(_ data: Data) -> String {
        Insecure.MD5.hash(data: data).hexString
    }

    /// Imports `data` as `fileName`: a byte-identical file already imported, under this name or another, is a no-op
    /// (importing it again under a new name would only duplicate every row).
    public func importFile(_ data: Data, fileName: String) async throws -> ImportOutcome {
        let name = Self.cleanFileName(fileName)
        let md5 = Self.md5(data)
        if let existing = try await store.registryRecord(md5: md5) {
            let which = existing.fileName == name ? name : "\(name) has the same content as \(existing.fileName), which"
            // Nothing changes, but the check still answers: uploading a file again is how a user asks for it. It
            // is a courtesy here: a check that cannot run (the embedding server down and a vector not cached) leaves
            // the no-op a no-op.
            let warnings = (try? await check(nil))?.warnings ?? []
            return ImportOutcome(
                status: .unchanged, fileName: existing.fileName, md5: md5, count: existing.rowCount, replacedRows: 0,
                totalRows: try await store.knowledgeEntryCount(), encoding: "",
                message: "\(which) is already imported (md5 \(md5)); nothing changed" + Self.describe(warnings),
                warnings: Array(warnings.prefix(Self.warningsShown)), warningCount: warnings.count)
        }
        let (entries, encoding) = try KnowledgeBaseCSV.parse(data)
        let entryKeywords = entries.map { keywords.keywords($0.phrasings.joined(separator: "\n") + "\n" + $0.standardScript) }
        // Embedding first: vectors land in the cache, and a failure here stores no row at all.
        _ = try await embedder.embed(KnowledgeEntry.phrasings(of: entries), inputType: inputType)
        let (selfCalibration, check) = try await selfCalibration(replacing: name, with: entries)
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
            encoding: encoding.rawValue, message: message + "; " + Self.describe(inForce) + Self.describe(check.warnings),
            calibration: CalibrationSummary(inForce), warnings: Array(check.warnings.prefix(Self.warningsShown)),
            warningCount: check.warnings.count)
    }

    /// Checks a knowledge-base file on its own without importing it, or, with nil, the stored knowledge base.
    public func check(_ data: Data?) async throws -> KnowledgeBaseCheck {
        let entries: [KnowledgeEntry]
        if let data {
            entries = try KnowledgeBaseCSV.parse(data).entries
        } else {
            entries = try await store.knowledgeEntries().map(\.entry)
        }
        return try await calibrate(entries).check
    }

    /// The knowledge base as it will be after the import, calibrated from its own phrasings (nil inside: it cannot
    /// calibrate itself) and checked.
    private func selfCalibration(
        replacing name: String, with entries: [KnowledgeEntry]
    ) async throws -> (update: SelfCalibrationUpdate, check: KnowledgeBaseCheck) {
        let others = try await store.knowledgeEntries().filter { $0.sourceFile != name }
        return try await calibrate(others.map(\.entry) + entries)
    }

    /// `all` calibrated from its own phrasings and checked.
    private func calibrate(_ all: [KnowledgeEntry]) async throws -> (update: SelfCalibrationUpdate, check: KnowledgeBaseCheck) {
        let phrasings = KnowledgeEntry.phrasings(of: all)
        let vectors = try await embedder.embed(phrasings, inputType: inputType)
        let heldOut = try KnowledgeEntry.heldOutQueries(of: all, vectors: vectors, tokenizer: tokenizer)
        let floors = defaultCalibration.fitFloors
        let check = try KnowledgeBaseCheck.run(entries: all, vectors: vectors, heldOut: heldOut)
        let fitted = selfCalibrates
            ? SelfCalibration.fit(
                heldOut: heldOut, defaultHigh: floors.high, defaultMid: floors.mid, equivalents: check.nearDuplicates)
            : nil
        return (SelfCalibrationUpdate(embeddingModel: embedder.client.models.embedding, calibration: fitted), check)
    }

    /// At most this many warnings are listed in an import's answer (`check-kb` prints them all).
    public static let warningsShown = 50

    /// One clause on the warnings, if any.
    static func describe(_ warnings: [KnowledgeBaseWarning]) -> String {
        guard !warnings.isEmpty else { return "" }
        let counts = Dictionary(grouping: warnings, by: \.kind).mapValues(\.count)
        let parts = [
            counts[.nearDuplicateTopics].map { "\($0) near-duplicate topic pair(s)" },
            counts[.confusedTopic].map { "\($0) topic(s) whose phrasings lean to another" },
            counts[.emptyScript].map { "\($0) empty script(s)" },
        ].compactMap { $0 }
        return "; check: " + parts.joined(separator: ", ") + " (see warnings, or run vividcrowd-server check-kb)"
    }

    /// One sentence on the calibration in force.
    static func describe(_ calibration: RetrievalCalibration) -> String {
        switch calibration.source {
        case .labelled:
            return "matching uses the calibration fitted on \(calibration.calibrationQueries) labelled questions"
        case .selfFitted:
            return "matching is calibrated from the knowledge base itself (\(calibration.calibrationQueries) phrasings held out in turn)"
        case .default where calibration.confidence == nil:
            return "matching uses the configured weights and thresholds (too few topics with several phrasings to calibrate from)"
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
