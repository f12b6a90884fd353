import ArgumentParser
import VividCrowdCore

@main
struct VividCrowdBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vividcrowd-bench",
        abstract: "Measure VividCrowd: LLM transport latency, retrieval quality and speed, routing. Reports go to reports/.",
        subcommands: [RetrievalCommand.self, MemoryCommand.self, SuitesCommand.self, CustomerServiceCommand.self, WebSocketLatencyCommand.self, RoutingCommand.self, GuardrailsCommand.self, ExtractionCommand.self, TwinsCommand.self, SegmentationCommand.self, VoiceCommand.self, SpokenTurnCommand.self, ScaleCommand.self, HNSWCommand.self, LLMLatency.self, StagesCommand.self, DefaultCalibrationCommand.self])
}
