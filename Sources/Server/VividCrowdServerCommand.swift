import ArgumentParser
import VividCrowdCore

@main
struct VividCrowdServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vividcrowd-server",
        abstract: "Serve VividCrowd over HTTP and WebSocket, with its web page.",
        discussion: """
            Settings come from the environment and an optional .env file (see README.md for the table).
            Examples:
              vividcrowd-server serve                 # 127.0.0.1:8000, the embedded database under ./data
              LLM_MODE=replay vividcrowd-server serve # answer LLM calls from recorded cassettes
              vividcrowd-server config                # validate and show the effective settings
            """,
        subcommands: [
            Serve.self, ImportKnowledgeBase.self, CalibrateKnowledgeBase.self, CheckKnowledgeBase.self, ShowConfiguration.self,
            Migrate.self, Backup.self, Prune.self,
        ],
        defaultSubcommand: Serve.self)
}
