import ArgumentParser
import Foundation
import Logging
import VividCrowdCore
import VividCrowdDocuments
import VividCrowdPostgres
import VividCrowdSpeech

/// The Core services one server process shares across requests.
struct ServerServices: Sendable {
    let settings: VividCrowdConfiguration
    let store: any VividCrowdStore
    let llm: LLMClient
    let customerService: CustomerServiceDesk
    let groupChat: GroupChatService
    let twins: TwinLibrary
    let customers: CustomerLibrary
    let training: TrainingDesk
    let copilot: SalesCopilot
    /// Speech in and out (twins and training) and the media it makes.
    let speech: SpeechDesk
    /// Talking-head video for the twins (`VIDEO_PROVIDER`), nil when off; its files go to the speech desk's media
    /// store. (A `var` so tests can put a double in its place.)
    var video: (any TalkingHeadGenerator)?
    let protection: ServerProtection
    /// The Prometheus registry `/metrics` shows.
    let metrics: ServerMetrics
    /// Drives typing delays (tests pass a virtual clock).
    let clock: any Clock<Duration>
    /// jieba's compiled tables, mapped from `CACHE_DIR`.
    let compiledTables: CompiledTables

    /// Opens the store and the LLM client; `corpora` holds jieba's dictionaries. `clock` and `date` drive group
    /// chat's typing delays, night mode and daily limits (tests pass a virtual clock).
    static func start(
        _ settings: VividCrowdConfiguration, corpora: URL, personas: URL? = nil,
        clock: any Clock<Duration> = ContinuousClock(), date: @escaping @Sendable () -> Date = Date.init, logger: Logger
    ) async throws -> ServerServices {
        // One BLAS thread per scoring call: requests already run in parallel, and idle OpenBLAS threads spin.
        BLASThreads.set(1)
        if let warning = BLASThreads.genericKernelWarning() { logger.warning("\(warning)") }
        let store = try StoreFactory.open(settings.storage, openers: [PostgresStoreOpener()])
        let metrics = ServerMetrics()
        let llm = try LLMClient.make(configuration: settings, logger: Logger(label: "vividcrowd.llm"), metrics: metrics.domain)
        do {
            return try await start(
                settings, store: store, llm: llm, metrics: metrics, corpora: corpora, personas: personas, clock: clock, date: date,
                logger: logger)
        } catch {
            // The HTTP client must be shut down before it goes, also when start-up fails (a database that is down).
            try? await llm.shutdown()
            try? await store.close()
            throw error
        }
    }

    private static func start(
        _ settings: VividCrowdConfiguration, store: any VividCrowdStore, llm: LLMClient, metrics: ServerMetrics, corpora: URL,
        personas: URL?, clock: any Clock<Duration>, date: @escaping @Sendable () -> Date, logger: Logger
    ) async throws -> ServerServices {
        // Each mode's calls are counted under its name. One jieba dictionary for all of them, mapped from its
        // compiled file (reports/memory.md).
        let compiledTables = CompiledTables(directory: URL(fileURLWithPath: settings.storage.cachePath))
        let segmenter = try JiebaSegmenter(directory: corpora.appendingPathComponent("jieba"), tables: compiledTables)
        if !segmenter.dictionary.isMapped {
            logger.warning(
                "CACHE_DIR \(settings.storage.cachePath) cannot be written: jieba's tables are built in this process's memory (about 20 MB more, and slower starts)")
        }
        let customerService = try CustomerServiceDesk.make(
            store: store, llm: llm.labelled(mode: "customer_service"), configuration: settings, corpora: corpora,
            segmenter: segmenter)
        let groupChat = try GroupChatService.make(
            personasFile: personas ?? corpora.appendingPathComponent("seed/agents_profiles.json"), store: store,
            llm: llm.labelled(mode: "group_chat"), configuration: settings, clock: clock, date: date)
        let twins = try TwinLibrary.make(
            store: store, llm: llm.labelled(mode: "twins"), pdf: MuPDFTextReader(), configuration: settings, corpora: corpora,
            segmenter: segmenter, now: date)
        let documents = DocumentReader(pdf: MuPDFTextReader(), limits: settings.twins.limits)
        let trainingLLM = llm.labelled(mode: "training")
        let customers = CustomerLibrary(
            store: store.customers, client: trainingLLM, reader: documents,
            promptTokens: settings.twins.promptTokens, now: date)
        let copilot = SalesCopilot(
            store: store.salesMaterials, client: trainingLLM, embedder: CachingEmbedder(client: trainingLLM, cache: store.embeddings),
            documents: documents, spreadsheets: XLSXReader(),
            tokenizer: twins.tokenizer, denseSearch: settings.retrieval.denseSearch, now: date)
        let training = try TrainingDesk.make(
            store: store.training, customers: customers, copilot: copilot, settings: settings.training,
            directory: URL(fileURLWithPath: FileManager.default.currentDirectoryPath), now: date)
        let rows = try await customerService.entryCount()
        logger.info(
            "services ready",
            metadata: [
                "store": "\(store.location)", "llm_mode": "\(settings.llm.mode.rawValue)",
                "llm_base_url": "\(settings.llm.baseURL.absoluteString)",
                "knowledge_base_rows": "\(rows)", "personas": "\(groupChat.personas.map(\.id).joined(separator: ","))",
            ])
        let speech = speechDesk(settings.speech, storage: settings.llm.objectStorage, llm: llm.labelled(mode: "speech"))
        return ServerServices(
            settings: settings, store: store, llm: llm, customerService: customerService, groupChat: groupChat, twins: twins,
            customers: customers, training: training, copilot: copilot, speech: speech,
            video: videoMaker(settings, media: speech.media, llm: llm.labelled(mode: "video"), clock: clock),
            protection: ServerProtection(settings: settings.protection, adminToken: settings.server.adminToken, clock: clock),
            metrics: metrics, clock: clock, compiledTables: compiledTables)
    }

    /// Gives back what an idle process does not need: the store's page caches, the heap glibc keeps after frees,
    /// and the pages of jieba's mapped tables (to the page cache, where the next lookups find them).
    func releaseIdleMemory() async {
        await store.releaseIdleMemory()
        MemoryTrim.systemTrim()
        compiledTables.releaseResidentPages()
    }
}

extension ServerServices {
    /// The talking-head provider `VIDEO_PROVIDER` chooses, nil when off. Volcano Engine's calls go through `llm`
    /// (signed, recorded and replayed); without its keys outside replay it is kept, so the route can name them.
    static func videoMaker(
        _ settings: VividCrowdConfiguration, media: MediaStore, llm: LLMClient, clock: any Clock<Duration>
    ) -> (any TalkingHeadGenerator)? {
        switch settings.video.provider {
        case .off:
            return nil
        case .offline:
            return FFmpegTalkingHead(
                media: media, ffmpeg: ExternalProgram.locate(settings.video.ffmpegPath),
                maximumSeconds: settings.speech.limits.maximumSeconds, timeout: settings.video.timeout)
        case .volcengine:
            var volcengine = VolcengineTalkingHead(
                client: llm, model: settings.video.model, pollInterval: settings.video.pollInterval,
                timeout: settings.video.timeout, clock: clock)
            if settings.llm.mode != .replay {
                volcengine.missingSettings = [
                    ("VOLCENGINE_ACCESS_KEY", settings.llm.volcengineAccessKey), ("VOLCENGINE_SECRET_KEY", settings.llm.volcengineSecretKey),
                ].filter { $0.1 == nil }.map(\.0)
            }
            return volcengine
        case .dashscope:
            var dashScope = DashScopeTalkingHead(
                client: llm, model: settings.video.model, pollInterval: settings.video.pollInterval, timeout: settings.video.timeout,
                clock: clock)
            if settings.llm.mode != .replay, settings.llm.apiKey == nil { dashScope.missingSettings = ["DASHSCOPE_API_KEY"] }
            return dashScope
        }
    }

    /// The speech providers `SPEECH_RECOGNIZER` and `SPEECH_SYNTHESIZER` choose. The offline engines load their
    /// models on first use, so an idle server pays nothing for them; remote ones go through `llm`, so they record
    /// and replay with its cassette. With `storage`, every file made is also copied to the bucket.
    static func speechDesk(
        _ settings: VividCrowdConfiguration.Speech, storage: VividCrowdConfiguration.ObjectStorage?, llm: LLMClient
    ) -> SpeechDesk {
        let recognizer: (any SpeechRecognizer)?
        switch settings.recognizer {
        case .offline: recognizer = PocketSphinxRecognizer()
        case .openai: recognizer = OpenAICompatibleRecognizer(client: llm, model: settings.recognizerModel)
        case .dashscope: recognizer = DashScopeRecognizer(client: llm, model: settings.recognizerModel)
        case .off: recognizer = nil
        }
        let synthesizer: (any SpeechSynthesizer)?
        switch settings.synthesizer {
        case .offline: synthesizer = EspeakSynthesizer()
        case .openai: synthesizer = OpenAICompatibleSynthesizer(client: llm, model: settings.synthesizerModel, voice: settings.voice)
        case .dashscope: synthesizer = DashScopeSynthesizer(client: llm, model: settings.synthesizerModel, voice: settings.voice)
        case .off: synthesizer = nil
        }
        let mirror = storage.map {
            OSSMediaMirror(
                client: llm, bucket: $0.bucket, endpoint: $0.endpoint,
                signer: OSSSigner(accessKeyID: $0.accessKeyID, accessKeySecret: $0.accessKeySecret), linkLifetime: $0.linkLifetime)
        }
        return SpeechDesk(
            recognizer: recognizer, synthesizer: synthesizer,
            media: MediaStore(directory: URL(fileURLWithPath: settings.mediaPath), mirror: mirror), limits: settings.limits)
    }
}

/// The options every command that opens the services shares.
struct ServiceOptions: ParsableArguments {
    @Option(help: "The .env file to read before the process environment.")
    var envFile = ".env"

    @Option(help: "Directory holding jieba/ (the segmentation dictionaries).")
    var corpora = "corpora"

    @Option(help: "Group-chat personas (the original agents_profiles.json form, or a list with expertise).")
    var personas = "corpora/seed/agents_profiles.json"

    /// Loads the configuration (adjusted by `adjust`; the offline demo's when `allowsDemo` and no key is set), sets
    /// up logging and opens the services.
    func start(
        label: String, allowsDemo: Bool = false, adjust: (inout VividCrowdConfiguration) -> Void = { _ in }
    ) async throws -> ServerServices {
        var settings = try VividCrowdConfiguration.load(dotEnvPath: envFile, allowsDemo: allowsDemo)
        adjust(&settings)
        LoggingSetup.bootstrap(settings)
        return try await ServerServices.start(
            settings, corpora: URL(fileURLWithPath: corpora), personas: URL(fileURLWithPath: personas), logger: Logger(label: label))
    }
}
