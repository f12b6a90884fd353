import Foundation
import Logging
import VividCrowdCore

/// The Core services one server process shares across requests.
struct ServerServices: Sendable {
    let settings: VividCrowdConfiguration
    let database: SQLiteDatabase
    let llm: LLMClient
    let customerService: CustomerServiceDesk

    /// Opens the store and the LLM client; `corpora` holds jieba's dictionaries.
    static func start(_ settings: VividCrowdConfiguration, corpora: URL, logger: Logger) async throws -> ServerServices {
        let database = try SQLiteDatabase.open(settings.storage)
        let llm = try LLMClient.make(configuration: settings, logger: Logger(label: "vividcrowd.llm"))
        let customerService = try CustomerServiceDesk.make(
            database: database, llm: llm, configuration: settings, corpora: corpora)
        let rows = try await customerService.entryCount()
        logger.info(
            "services ready",
            metadata: [
                "database": "\(database.path)", "llm_mode": "\(settings.llm.mode.rawValue)",
                "llm_base_url": "\(settings.llm.baseURL.absoluteString)",
                "knowledge_base_rows": "\(rows)",
            ])
        return ServerServices(settings: settings, database: database, llm: llm, customerService: customerService)
    }
}
