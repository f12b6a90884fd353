import ArgumentParser
import Foundation
import Logging
import VividCrowdCore
import VividCrowdDocuments

/// Where a server's idle memory goes: the services built one at a time as `serve` builds them, resident memory read
/// after each (freed heap returned first), into reports/memory.md.
struct MemoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memory",
        abstract: "Resident memory of each part of an idle server, built in serve's order, into reports/memory.{md,json}.",
        discussion: """
            Replays CASSETTE (default customer-service) for the knowledge-base import and the first match, so it runs \
            offline. Each row is the growth of the process's resident set after that step, with glibc's free heap \
            trimmed; the binary's own pages are in the first row.
            """)

    @Option(help: "Knowledge base to import.")
    var csv = "corpora/seed/qa.csv"

    @Option(help: "Cassette the import and first match replay from.")
    var cassette = "customer-service"

    @Option(help: "Also write the JSON report here (reports/memory.json is always written).")
    var json: String?

    struct Step: Codable {
        var step: String
        var residentMB: Double
        var growthMB: Double
        /// Heap and other private memory (RssAnon).
        var anonymousMB: Double
        /// Pages of mapped files: the binary, shared libraries, mapped tables (RssFile).
        var fileBackedMB: Double

        enum CodingKeys: String, CodingKey {
            case step
            case residentMB = "resident_mb"
            case growthMB = "growth_mb"
            case anonymousMB = "anonymous_mb"
            case fileBackedMB = "file_backed_mb"
        }
    }

    func run() async throws {
        var steps: [Step] = []
        var previous = 0.0
        func measure(_ step: String) {
            let resident = ResidentMemory.megabytes()
            let split = ResidentMemory.split()
            steps.append(Step(
                step: step, residentMB: resident, growthMB: resident - previous, anonymousMB: split.anonymous,
                fileBackedMB: split.fileBacked))
            print(String(format: "%-58@ %7.1f MB  %+7.1f MB  (anonymous %.1f, file-backed %.1f)", step as NSString,
                         resident, resident - previous, split.anonymous, split.fileBacked))
            previous = resident
        }
        measure("process start (binary, Swift runtime, Foundation)")

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vividcrowd-memory-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        var settings = try VividCrowdConfiguration(environment: [
            "LLM_MODE": "replay", "REPLAY_REPEAT": "last", "CASSETTE_NAME": cassette, "MODEL_NAME": "smollm2",
            "ROUTER_MODEL_NAME": "smollm2", "EVALUATION_MODEL": "smollm2", "EMBEDDING_MODEL": "multilingual-e5-small",
            "DATABASE_PATH": directory.path, "LOG_LEVEL": "error",
        ])
        settings.logLevel = .error
        let corpora = URL(fileURLWithPath: "corpora")
        BLASThreads.set(1)
        _ = try DenseIndex(dimension: 384, vectors: [[Float](repeating: 1, count: 384)]).scores(for: [Float](repeating: 1, count: 384))
        measure("OpenBLAS loaded and one scoring call")
        let llm = try LLMClient.make(configuration: settings)
        measure("LLM client and its cassette (\(cassette))")
        let store = try StoreFactory.open(settings.storage)
        _ = try await store.schemaVersion()
        measure("SQLite store opened and migrated")
        let segmenter = try JiebaSegmenter(directory: corpora.appendingPathComponent("jieba"))
        measure("jieba dictionary and HMM (shared by the modes; trie \(segmenter.dictionary.isMapped ? "mapped" : "in memory"))")
        let desk = try CustomerServiceDesk.make(
            store: store, llm: llm, configuration: settings, corpora: corpora, segmenter: segmenter)
        measure("customer-service desk (jieba's IDF table, the matcher)")
        let url = URL(fileURLWithPath: csv)
        _ = try await desk.importKnowledgeBase(try Data(contentsOf: url), fileName: url.lastPathComponent)
        measure("knowledge base imported (\(url.lastPathComponent))")
        _ = try await desk.matcher.match("检测报告多久出来")
        measure("first match (the index built)")
        let groupChat = try GroupChatService.make(
            personasFile: corpora.appendingPathComponent("seed/agents_profiles.json"), store: store, llm: llm,
            configuration: settings)
        measure("group chat (\(groupChat.personas.count) personas)")
        let twins = try TwinLibrary.make(
            store: store, llm: llm, pdf: MuPDFTextReader(), configuration: settings, corpora: corpora, segmenter: segmenter)
        measure("twins library (OpenCC tables, evidence gates)")
        let documents = DocumentReader(pdf: MuPDFTextReader(), limits: settings.twins.limits)
        let customers = CustomerLibrary(store: store.customers, client: llm, reader: documents)
        let copilot = SalesCopilot(
            store: store.salesMaterials, client: llm, embedder: CachingEmbedder(client: llm, cache: store.embeddings),
            documents: documents, spreadsheets: XLSXReader(), tokenizer: twins.tokenizer)
        _ = try TrainingDesk.make(
            store: store.training, customers: customers, copilot: copilot, settings: settings.training,
            directory: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        measure("sales training (customers, copilot, desk)")
        await store.releaseIdleMemory()
        segmenter.dictionary.tables.releaseResidentPages()
        measure("idle, as serve leaves it before listening (SQLite's page caches emptied, the tables' pages handed back)")
        try await llm.shutdown()
        try await store.close()

        let report = steps
        try FileManager.default.createDirectory(atPath: "reports", withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(report)
        try data.write(to: URL(fileURLWithPath: "reports/memory.json"))
        if let json { try data.write(to: URL(fileURLWithPath: json)) }
        var markdown = """
            # Idle memory, part by part

            `swift run -c release vividcrowd-bench memory` (\(ProcessInfo.processInfo.processorCount) cores). Resident \
            memory after each part is built, in `serve`'s order, glibc's free heap trimmed before each reading; \
            the knowledge base is \(url.lastPathComponent), replayed from the \(cassette) cassette.

            Anonymous is the heap and other private memory; file-backed is pages of mapped files (the binary, shared \
            libraries, jieba's compiled tables in CACHE_DIR), which several server processes on one machine share.

            | step | resident MB | growth MB | anonymous MB | file-backed MB |
            |---|---|---|---|---|

            """
        for step in report {
            markdown += String(
                format: "| %@ | %.1f | %+.1f | %.1f | %.1f |\n", step.step as NSString, step.residentMB, step.growthMB,
                step.anonymousMB, step.fileBackedMB)
        }
        try markdown.write(toFile: "reports/memory.md", atomically: true, encoding: .utf8)
        print("wrote reports/memory.md")
    }
}

/// The process's resident set, read from /proc after returning free heap to the system.
enum ResidentMemory {
    /// Resident megabytes now (0 where /proc is missing).
    static func megabytes() -> Double {
        MemoryTrim.systemTrim()
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Double(fields[1]) else { return 0 }
        return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / 1_048_576
    }

    /// The resident set split into anonymous and file-backed megabytes, from /proc/self/status (0 where missing).
    static func split() -> (anonymous: Double, fileBacked: Double) {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return (0, 0) }
        func kilobytes(_ key: String) -> Double {
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(key + ":") }) else { return 0 }
            return Double(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
        }
        return (kilobytes("RssAnon") / 1024, (kilobytes("RssFile") + kilobytes("RssShmem")) / 1024)
    }
}
