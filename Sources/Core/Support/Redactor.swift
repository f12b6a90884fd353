import Foundation

/// Removes secrets from text before it reaches a log, a cassette, an error message or a response.
public struct Redactor: Sendable {
    /// What a removed secret is replaced with.
    public static let placeholder = "[REDACTED]"

    private let secrets: [String]

    /// A redactor for the given literal secrets (empty ones are ignored) plus well-known key shapes.
    public init(secrets: [String?]) {
        // Longest first, so a secret containing another is removed whole.
        self.secrets = secrets.compactMap { $0 }.filter { $0.count >= 4 }.sorted { $0.count > $1.count }
    }

    private static let patterns: [NSRegularExpression] = [
        #"(?i)bearer\s+[A-Za-z0-9._~+/=-]{8,}"#,
        #"\bsk-[A-Za-z0-9_-]{8,}"#,
        #"(?i)("?(?:api[_-]?key|authorization|x-api-key|access[_-]?token)"?\s*[:=]\s*"?)[^\s",}]+"#,
    ].map { try! NSRegularExpression(pattern: $0) }

    /// `text` with every known secret and anything shaped like an API key replaced by the placeholder.
    public func redact(_ text: String) -> String {
        var result = text
        for secret in secrets where result.contains(secret) {
            result = result.replacingOccurrences(of: secret, with: Self.placeholder)
        }
        for (index, pattern) in Self.patterns.enumerated() {
            let range = NSRange(result.startIndex..., in: result)
            let template = index == 2 ? "$1\(Self.placeholder)" : Self.placeholder
            result = pattern.stringByReplacingMatches(in: result, range: range, withTemplate: template)
        }
        return result
    }

    /// A database URL with its password replaced, for display.
    public static func maskingURLCredentials(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? url
    }
}
