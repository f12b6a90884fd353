import Logging

/// A log handler that removes secrets from messages and metadata before passing them on.
public struct RedactingLogHandler: LogHandler {
    private var upstream: any LogHandler
    private let redactor: Redactor

    public init(upstream: any LogHandler, redactor: Redactor) {
        self.upstream = upstream
        self.redactor = redactor
    }

    public var logLevel: Logger.Level {
        get { upstream.logLevel }
        set { upstream.logLevel = newValue }
    }

    public var metadata: Logger.Metadata {
        get { upstream.metadata }
        set { upstream.metadata = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { upstream[metadataKey: key] }
        set { upstream[metadataKey: key] = newValue }
    }

    public func log(event: LogEvent) {
        var event = event
        event.message = "\(redactor.redact(event.message.description))"
        event.metadata = event.metadata.map { $0.mapValues { redact($0) } }
        upstream.log(event: event)
    }

    private func redact(_ value: Logger.Metadata.Value) -> Logger.Metadata.Value {
        switch value {
        case .string(let text): return .string(redactor.redact(text))
        case .stringConvertible(let convertible): return .string(redactor.redact(convertible.description))
        case .array(let values): return .array(values.map(redact))
        case .dictionary(let values): return .dictionary(values.mapValues(redact))
        }
    }
}

/// Process-wide logging for the executables: stderr, the configured level and format, secrets redacted (the API
/// key, the admin token and the database password).
public enum LoggingSetup {
    /// Installs the redacting stderr handler; call once at start-up.
    public static func bootstrap(_ configuration: VividCrowdConfiguration) {
        let redactor = Redactor(secrets: [
            configuration.llm.apiKey, configuration.server.adminToken, configuration.storage.databasePassword,
        ])
        let level = configuration.logLevel.level
        let format = configuration.logFormat
        LoggingSystem.bootstrap { label in
            let upstream: any LogHandler = switch format {
            case .text: StreamLogHandler.standardError(label: label)
            case .json: JSONLinesLogHandler(label: label, write: JSONLinesLogHandler.standardError)
            }
            var handler = RedactingLogHandler(upstream: upstream, redactor: redactor)
            handler.logLevel = level
            return handler
        }
    }
}
