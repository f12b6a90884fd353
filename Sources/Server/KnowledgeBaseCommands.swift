import ArgumentParser
import Foundation
import Logging
import VividCrowdCore

/// Imports a knowledge-base CSV into the customer-service store, as the upload endpoint does.
struct ImportKnowledgeBase: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-kb",
        abstract: "Import a 5-column knowledge-base CSV (the same file again is a no-op; a changed one replaces its rows).",
        discussion: "Example: LLM_MODE=replay CASSETTE_NAME=customer-service EMBEDDING_MODEL=multilingual-e5-small vividcrowd-server import-kb corpora/seed/qa.csv")

    @Argument(help: "The CSV file.")
    var file: String

    @OptionGroup var serviceOptions: ServiceOptions

    func run() async throws {
        let services = try await serviceOptions.start(label: "vividcrowd.import")
        let url = URL(fileURLWithPath: file)
        do {
            let data = try Data(contentsOf: url)
            let outcome = try await ProgressReporter.reporting("embedding \(url.lastPathComponent)") {
                try await services.customerService.importKnowledgeBase(data, fileName: url.lastPathComponent)
            }
            try await services.llm.shutdown()
            print(outcome.message)
        } catch {
            try? await services.llm.shutdown()
            throw CommandFailure("\(url.lastPathComponent): \(error); nothing was imported")
        }
    }
}

/// Fits the customer-service matcher's fusion, confidence and thresholds on labelled questions.
struct CalibrateKnowledgeBase: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate-kb",
        abstract: "Fit the hybrid weight, a calibrated confidence and the band thresholds on labelled questions.",
        discussion: """
            Questions: JSON lines {"query": "...", "expected": "<topic_name>"} ("expected": null for questions the
            knowledge base must not answer), at least 20 in scope, disjoint from anything you measure on. The fit is
            stored per knowledge base and embedding model and used by every later match. The fusion is chosen on these
            questions; when most topics have several phrasings, each phrasing held out as a question adds evidence to
            the confidence model, and the thresholds that turn questions away must hold on both. The high band is set
            where precision reaches 0.98. It wins over the calibration every import fits from a knowledge base with
            several phrasings per topic, and over the shipped default.
            Example: vividcrowd-server calibrate-kb corpora/suites/clinc150/calibration.jsonl
            """)

    @Argument(help: "Labelled questions (JSON lines).")
    var questions: String

    @OptionGroup var serviceOptions: ServiceOptions

    func run() async throws {
        let labelled = try LabelledQuery.load(jsonLines: Data(contentsOf: URL(fileURLWithPath: questions)), source: questions)
        let services = try await serviceOptions.start(label: "vividcrowd.calibrate")
        do {
            let fitted = try await ProgressReporter.reporting("embedding the knowledge base and questions") {
                try await services.customerService.matcher.calibrate(labelled)
            }
            try await services.llm.shutdown()
            let low = fitted.scope.map {
                String(format: "low band below %.3f probability of being in scope (a scope model: the questions include out-of-scope ones)", $0.threshold)
            } ?? String(format: "mid band from %.3f", fitted.midThreshold)
            let phrasings = fitted.calibrationQueries - labelled.count
            let evidence = phrasings > 0
                ? "\(labelled.count) questions and \(phrasings) held-out phrasings" : "\(labelled.count) questions"
            print(String(
                format: "calibrated on %@: %@, high band from %.3f, %@",
                evidence, "\(fitted.fusion)", fitted.highThreshold, low))
        } catch {
            try? await services.llm.shutdown()
            throw CommandFailure("\(error)")
        }
    }
}

/// Prints what the knowledge-base check finds: near-duplicate topics, topics whose phrasings lean to another, empty
/// scripts.
struct CheckKnowledgeBase: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-kb",
        abstract: "Check the stored knowledge base (or a CSV, without importing it) for near-duplicate topics, confused topics and empty scripts.",
        discussion: """
            Near-duplicates: topic pairs whose mean phrasing vectors are at least 4 standard deviations more similar
            than the knowledge base's typical pair (up to 5,000 topics). Confused: topics most of whose phrasings,
            each held out, find another topic's phrasing closest (topics with several phrasings). Exits 0 either way.
            Example: LLM_MODE=replay CASSETTE_NAME=customer-service EMBEDDING_MODEL=multilingual-e5-small vividcrowd-server check-kb corpora/seed/qa.csv
            """)

    @Argument(help: "A knowledge-base CSV to check instead of the stored knowledge base.")
    var file: String?

    @OptionGroup var serviceOptions: ServiceOptions

    func run() async throws {
        let data = try file.map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
        let services = try await serviceOptions.start(label: "vividcrowd.check")
        do {
            let check = try await services.customerService.importer.check(data)
            try await services.llm.shutdown()
            if !check.checkedPairs { print("topic pairs not compared (more than \(KnowledgeBaseCheck.maximumTopics) topics)") }
            print(check.warnings.isEmpty ? "no warnings" : "\(check.warnings.count) warning(s):")
            for warning in check.warnings { print("- [\(warning.kind.rawValue)] \(warning.message)") }
        } catch {
            try? await services.llm.shutdown()
            throw CommandFailure("\(error)")
        }
    }
}
