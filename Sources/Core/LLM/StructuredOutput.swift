import Foundation

/// A chat call that must answer with JSON decoding into `Output`: the schema, the prompt, how many attempts, and the
/// checks a decoded answer must pass.
public struct StructuredRequest<Output: Decodable & Sendable>: Sendable {
    public var model: String
    public var messages: [ChatMessage]
    /// The JSON schema of `Output`; sent as llama.cpp's grammar when the client is configured for a local server.
    public var schema: JSONValue
    public var temperature: Double
    /// Attempt n (1-based) is sent with seed `seed + n - 1`.
    public var seed: Int?
    public var maxTokens: Int?
    /// Attempts in all, at least 1.
    public var attempts: Int
    /// Checks (and may normalise) a decoded answer; a thrown `StructuredOutputProblem` is told to the model on the
    /// next attempt.
    public var validate: @Sendable (Output) throws -> Output

    public init(
        model: String, messages: [ChatMessage], schema: JSONValue, temperature: Double = 0, seed: Int? = nil,
        maxTokens: Int? = nil, attempts: Int = 2, validate: @escaping @Sendable (Output) throws -> Output = { $0 }
    ) {
        self.model = model
        self.messages = messages
        self.schema = schema
        self.temperature = temperature
        self.seed = seed
        self.maxTokens = maxTokens
        self.attempts = attempts
        self.validate = validate
    }
}

/// Why one answer was not usable; its message is shown to the model on the next attempt.
public struct StructuredOutputProblem: Error, CustomStringConvertible, Sendable {
    public let description: String

    public init(_ description: String) { self.description = description }
}

/// No attempt gave a usable answer; callers map this to their deterministic fallback.
public struct StructuredOutputError: Error, CustomStringConvertible, Sendable {
    /// What went wrong on each attempt, in order: a failed call, unparsable JSON, or a failed check.
    public let problems: [Problem]

    public enum Problem: Sendable, Equatable {
        /// The call itself failed (no answer to judge).
        case callFailed(String)
        /// The answer was not JSON of the right shape, or failed validation.
        case invalidAnswer(String)
    }

    public var description: String {
        let lines = problems.enumerated().map { index, problem -> String in
            switch problem {
            case .callFailed(let reason): return "attempt \(index + 1): call failed (\(reason))"
            case .invalidAnswer(let reason): return "attempt \(index + 1): \(reason)"
            }
        }
        return "no usable structured answer: " + lines.joined(separator: "; ")
    }
}

extension LLMClient {
    /// Asks for JSON against `request.schema`, decodes it into `Output` and validates it; an unusable answer is
    /// retried with the problem told to the model, up to `request.attempts`, then `StructuredOutputError` is thrown.
    public func structured<Output>(_ request: StructuredRequest<Output>) async throws -> Output {
        var problems: [StructuredOutputError.Problem] = []
        var messages = request.messages
        for attempt in 1...max(1, request.attempts) {
            let chat = ChatRequest(
                model: request.model, messages: messages, temperature: request.temperature,
                seed: request.seed.map { $0 + attempt - 1 }, maxTokens: request.maxTokens,
                responseFormat: .jsonObject(schema: sendsLocalSchema ? request.schema : nil))
            let reply: ChatCompletion
            do {
                reply = try await complete(chat)
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                problems.append(.callFailed("\(error)"))
                continue
            }
            do {
                return try request.validate(try Self.decodeJSONObject(Output.self, from: reply.content))
            } catch {
                let problem = (error as? StructuredOutputProblem)?.description ?? "the answer is not JSON of the required shape"
                problems.append(.invalidAnswer(problem))
                messages = request.messages + [
                    .assistant(reply.content),
                    .user("That answer cannot be used: \(problem). Answer again with JSON only, matching the schema."),
                ]
            }
        }
        throw StructuredOutputError(problems: problems)
    }

    /// The JSON object in `content` (models sometimes wrap it in prose or code fences), decoded.
    static func decodeJSONObject<Output: Decodable>(_ type: Output.Type, from content: String) throws -> Output {
        guard let start = content.firstIndex(of: "{"), let end = content.lastIndex(of: "}"), start < end else {
            throw StructuredOutputProblem("the answer holds no JSON object")
        }
        do {
            return try JSONDecoder().decode(Output.self, from: Data(content[start...end].utf8))
        } catch {
            throw StructuredOutputProblem("the JSON does not match the schema")
        }
    }
}
