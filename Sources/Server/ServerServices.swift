import Logging
import VividCrowdCore

/// The Core services one server process shares across requests.
struct ServerServices: Sendable {
    let settings: VividCrowdConfiguration
    let database: SQLiteDatabase
    let llm: LLMClient

    static func start(_ settings: VividCrowdConfiguration, logger: Logger) async throws -> ServerServices {
        let database = try SQLiteDatabase.open(settings.storage)
        let llm = try LLMClient.make(configuration: settings, logger: Logger(label: "vividcrowd.llm"))
        logger.info(
            "services ready",
            metadata: [
                "database": "\(database.path)", "llm_mode": "\(settings.llm.mode.rawValue)",
                "llm_base_url": "\(settings.llm.baseURL.absoluteString)",
            ])
        return ServerServices(settings: settings, database: database, llm: llm)
    }
}
