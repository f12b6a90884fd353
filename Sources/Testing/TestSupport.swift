import Foundation
import Logging
import VividCrowdCore

/// A secret shaped like a real key, so both the literal and the pattern redaction are exercised.
public let testAPIKey = "sk-vividcrowd-test-9f8e7d6c5b4a"

public let testModels = LLMClient.Models(chat: "test-model", router: "test-router", evaluation: "test-eval", embedding: "test-embed")

/// A fresh empty directory under the system temporary directory.
public func temporaryDirectory() throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("vividcrowd-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url.path
}

/// A log handler that keeps every rendered line, for asserting on what was logged.
public final class CapturingLogHandler: LogHandler, @unchecked Sendable {
    public init() {}
    private let lock = NSLock()
    private var storedLines: [String] = []
    public var logLevel: Logger.Level = .trace
    public var metadata: Logger.Metadata = [:]

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let rendered = "\(event.level) \(event.message) \(event.metadata ?? [:])"
        lock.withLock { storedLines.append(rendered) }
    }

    public var lines: [String] { lock.withLock { storedLines } }
}

/// The repository root, found from this file's path (Sources/Testing/TestSupport.swift).
public let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
