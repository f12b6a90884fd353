import Foundation

/// Why a customer could not be made or found; messages carry no internal detail.
public enum CustomerError: Error, Equatable, Sendable, CustomStringConvertible, ConversationFailure {
    case notFound(Int)
    /// The profile call gave no usable answer within its attempts; nothing was stored.
    case profileFailed
    /// A conversation needs a customer and none has been made yet.
    case noCustomers

    public var description: String {
        switch self {
        case .notFound(let id): return "no customer with id \(id)"
        case .profileFailed: return "no customer profile could be extracted from this document; nothing was stored, try again"
        case .noCustomers: return "there is no customer yet: upload a profile to /api/digital-customer/upload first"
        }
    }

    public var code: String {
        switch self {
        case .notFound: return "customer_not_found"
        case .profileFailed: return "profile_failed"
        case .noCustomers: return "no_customers"
        }
    }

    public var userMessage: String { description }
}

/// The simulated customers: made from an uploaded profile document (Markdown, text or PDF) by one structured call,
/// stored once per document, listed, found and deleted.
public actor CustomerLibrary {
    public let store: any CustomerStore
    public nonisolated let client: LLMClient
    public let reader: DocumentReader
    /// Estimated tokens of the document one profile call carries at most.
    public let promptTokens: Int
    private let now: @Sendable () -> Date

    public init(
        store: any CustomerStore, client: LLMClient, reader: DocumentReader, promptTokens: Int = 6_000,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.store = store
        self.client = client
        self.reader = reader
        self.promptTokens = promptTokens
        self.now = now
    }

    /// Makes a customer of the document `data` named `fileName`, or returns the one made from the same bytes
    /// (`created` false). `difficulty`, when given, wins over the one the profile call chose.
    public func create(
        _ data: Data, fileName: String, difficulty: CustomerProfile.Difficulty? = nil
    ) async throws -> (customer: CustomerRecord, created: Bool) {
        try await client.metrics.timingImport("customer") { try await make(data, fileName: fileName, difficulty: difficulty) }
    }

    private func make(
        _ data: Data, fileName: String, difficulty: CustomerProfile.Difficulty?
    ) async throws -> (customer: CustomerRecord, created: Bool) {
        let md5 = KnowledgeBaseImporter.md5(data)
        if let existing = try await store.customer(md5: md5) { return (existing, false) }
        let text = try reader.read(data, fileName: fileName).fullText
        var profile = try await extractProfile(of: text)
        if let difficulty { profile.difficulty = difficulty }
        profile.name = Self.name(profile.name, document: text, fileName: fileName)
        do {
            let stored = try await store.createCustomer(CustomerRecord(id: 0, profile: profile, fileName: fileName, md5: md5, createdAt: now()))
            return (stored, true)
        } catch is DuplicateKey {
            // The same document uploaded twice at once: the other upload stored it first.
            guard let existing = try await store.customer(md5: md5) else { throw CustomerError.profileFailed }
            return (existing, false)
        }
    }

    /// The customer's name: the extracted one when the document holds it, otherwise (a model that invented one) the
    /// document's first heading after its colon ("# 客户画像：王建国" → 王建国), otherwise the file name up to its first
    /// "-" or "_" ("王建国-制造业-生产总监.md" → 王建国).
    static func name(_ extracted: String, document: String, fileName: String) -> String {
        let trimmed = extracted.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.count >= 2, document.contains(trimmed) { return trimmed }
        if let heading = document.split(separator: "\n").first(where: { $0.hasPrefix("# ") }) {
            let title = heading.dropFirst(2).split(whereSeparator: { $0 == "：" || $0 == ":" }).last.map(String.init) ?? ""
            let name = title.trimmingCharacters(in: .whitespaces)
            if (1...40).contains(name.count) { return name }
        }
        let stem = (fileName as NSString).deletingPathExtension
        let name = stem.split(whereSeparator: { $0 == "-" || $0 == "_" }).first.map(String.init) ?? stem
        return name.isEmpty ? (trimmed.isEmpty ? "客户" : trimmed) : String(name.prefix(40))
    }

    /// The profile from one structured call over the document (sampled within `promptTokens`).
    func extractProfile(of text: String) async throws -> CustomerProfile {
        let sample = TwinLibrary.sample(text, budget: TwinLibrary.characters(fitting: promptTokens, like: text))
        let fields = CustomerProfile.CodingKeys.allCases.map(\.rawValue).joined(separator: ", ")
        let personalities = CustomerProfile.Personality.allCases.map(\.rawValue).joined(separator: "|")
        let difficulties = CustomerProfile.Difficulty.allCases.map(\.rawValue).joined(separator: "|")
        let instruction = MessageText.isChinese(String(sample.prefix(500)))
            ? "下面是一份客户画像资料。只根据资料，用 JSON 给出这些字段：\(fields)。personality 取 \(personalities)，difficulty 取 \(difficulties)（客户越难被说服越 hard）；hidden_objections 是客户不会主动说、要销售挖掘的顾虑。列表字段用数组，资料没有的填空字符串或 []，不要编造。\n\n资料：\n\(sample)"
            : "Below is a customer profile document. From it only, give these fields as JSON: \(fields). personality is one of \(personalities), difficulty one of \(difficulties) (hard for a customer who is hard to persuade); hidden_objections are concerns the customer will not volunteer and a salesperson must uncover. Lists are arrays; use \"\" or [] for anything the document does not say; invent nothing.\n\nDocument:\n\(sample)"
        do {
            return try await client.structured(StructuredRequest<CustomerProfile>(
                model: client.models.chat, messages: [.user(instruction)], schema: CustomerProfile.schema, temperature: 0, seed: 7,
                maxTokens: 900, attempts: 3, validate: { try $0.validated() }))
        } catch is StructuredOutputError {
            throw CustomerError.profileFailed
        }
    }

    public func customers() async throws -> [CustomerRecord] { try await store.customers() }

    public func customer(id: Int) async throws -> CustomerRecord {
        guard let customer = try await store.customer(id: id) else { throw CustomerError.notFound(id) }
        return customer
    }

    public func delete(id: Int) async throws {
        guard try await store.deleteCustomer(id: id) else { throw CustomerError.notFound(id) }
    }

    /// What seeding a folder did: how many customers were new, and the files whose profile could not be extracted.
    public struct SeedOutcome: Sendable, Equatable {
        public var created: Int
        /// File names whose profile call gave no usable answer (the others were seeded all the same).
        public var failed: [String]

        public init(created: Int, failed: [String]) {
            self.created = created
            self.failed = failed
        }
    }

    /// Makes a customer of every Markdown, text or PDF file in `folder` that has none yet. A document the model
    /// makes no usable profile of is skipped and named; any other failure (an unreadable file, the store) stops it.
    public func seed(folder: URL) async throws -> SeedOutcome {
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { ["md", "txt", "pdf"].contains(($0 as NSString).pathExtension.lowercased()) }.sorted()
        var outcome = SeedOutcome(created: 0, failed: [])
        for file in files {
            let data = try Data(contentsOf: folder.appendingPathComponent(file))
            do {
                if try await create(data, fileName: file).created { outcome.created += 1 }
            } catch CustomerError.profileFailed {
                outcome.failed.append(file)
            }
        }
        return outcome
    }
}
