import Foundation

/// One group-chat agent: who they are, what they know, how they talk, and what keeps them in character.
public struct Persona: Sendable, Hashable, Codable {
    public var id: String
    public var name: String
    public var age: Int?
    public var gender: String?
    public var occupation: String?
    public var personalityTraits: [String]
    public var interests: [String]
    /// What the agent knows well; the semantic router matches messages against it and the interests.
    public var expertise: [String]
    public var speechStyle: String?
    public var avoidTopics: [String]
    public var guardrailRules: [String]
    public var systemPrompt: String
    /// 0 speaks only when mentioned; 1 is the most talkative.
    public var talkativeness: Double
    /// How this agent deflects a probe of their identity, in their own voice.
    public var deflections: [String]

    enum CodingKeys: String, CodingKey {
        case id, name, age, gender, occupation, interests, expertise, talkativeness, deflections
        case personalityTraits = "personality_traits"
        case speechStyle = "speech_style"
        case avoidTopics = "avoid_topics"
        case guardrailRules = "guardrail_rules"
        case systemPrompt = "system_prompt"
    }

    /// Whether the persona speaks Chinese (its prompt is written in it).
    public var isChinese: Bool { MessageText.isChinese(systemPrompt + name) }

    /// The text the semantic router embeds: expertise and interests.
    public var topicTexts: [String] { Array(Set(expertise + interests)).sorted() }
}

/// A persona file that cannot be used, naming the file, the agent and the field.
public struct PersonaError: Error, CustomStringConvertible, Sendable, Equatable {
    public var file: String
    public var agent: String?
    public var field: String?
    public var reason: String

    public var description: String {
        [file, agent.map { "agent \($0)" }, field.map { "field \($0)" }].compactMap { $0 }.joined(separator: ", ")
            + ": " + reason
    }
}

/// Reads persona files: the original `agents_profiles.json` (an object keyed by id) or a list of objects with `id`.
public enum PersonaLoader {
    /// The personas of one file, in the file's order (ids sorted for the keyed form).
    public static func load(_ data: Data, file: String) throws -> [Persona] {
        let json: JSONValue
        do {
            json = try JSONValue.parse(data)
        } catch {
            throw PersonaError(file: file, reason: "not valid JSON (\(error))")
        }
        var raw: [(String, JSONValue)] = []
        if let object = json.objectValue {
            raw = object.keys.sorted().map { ($0, object[$0]!) }
        } else if let array = json.arrayValue {
            for (index, item) in array.enumerated() {
                guard let id = item["id"]?.stringValue ?? item["id"]?.intValue.map(String.init) else {
                    throw PersonaError(file: file, agent: "#\(index + 1)", field: "id", reason: "missing; each agent needs an id")
                }
                raw.append((id, item))
            }
        } else {
            throw PersonaError(file: file, reason: "expected an object keyed by agent id, or a list of agents")
        }
        guard !raw.isEmpty else { throw PersonaError(file: file, reason: "no agents") }
        var seen = Set<String>()
        return try raw.map { id, value in
            guard seen.insert(id).inserted else { throw PersonaError(file: file, agent: id, reason: "duplicate id") }
            return try persona(id: id, value, file: file)
        }
    }

    static func persona(id: String, _ value: JSONValue, file: String) throws -> Persona {
        guard value.objectValue != nil else {
            throw PersonaError(file: file, agent: id, reason: "expected an object")
        }
        func fail(_ field: String, _ reason: String) -> PersonaError {
            PersonaError(file: file, agent: id, field: field, reason: reason)
        }
        func string(_ field: String, required: Bool = false) throws -> String? {
            guard let entry = value[field], entry != .null else {
                if required { throw fail(field, "missing") }
                return nil
            }
            guard let text = entry.stringValue else { throw fail(field, "must be a string") }
            if required && text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { throw fail(field, "must not be empty") }
            return text
        }
        func strings(_ field: String) throws -> [String] {
            guard let entry = value[field], entry != .null else { return [] }
            if let single = entry.stringValue { return [single] }
            guard let items = entry.arrayValue else { throw fail(field, "must be a list of strings") }
            return try items.map {
                guard let text = $0.stringValue else { throw fail(field, "must be a list of strings") }
                return text
            }
        }
        let name = try string("name", required: true)!
        let prompt = try string("system_prompt") ?? ""
        let traits = try strings("personality_traits")
        let interests = try strings("interests")
        let expertise = try strings("expertise")
        var age: Int?
        if let entry = value["age"], entry != .null {
            guard let number = entry.intValue, (0...150).contains(number) else { throw fail("age", "must be a whole number 0-150") }
            age = number
        }
        var talkativeness = 0.5
        if let entry = value["talkativeness"], entry != .null {
            guard let number = entry.doubleValue, (0...1).contains(number) else { throw fail("talkativeness", "must be a number 0-1") }
            talkativeness = number
        }
        guard !prompt.isEmpty || !(expertise.isEmpty && interests.isEmpty && traits.isEmpty) else {
            throw fail("system_prompt", "missing, and nothing else (expertise, interests, traits) describes the agent")
        }
        var persona = Persona(
            id: id, name: name, age: age, gender: try string("gender"), occupation: try string("occupation"),
            personalityTraits: traits, interests: interests, expertise: expertise, speechStyle: try string("speech_style"),
            avoidTopics: try strings("avoid_topics"), guardrailRules: try strings("guardrail_rules"), systemPrompt: prompt,
            talkativeness: talkativeness, deflections: try strings("deflections"))
        if persona.systemPrompt.isEmpty { persona.systemPrompt = defaultPrompt(persona) }
        if persona.deflections.isEmpty { persona.deflections = defaultDeflections(persona) }
        return persona
    }

    static func defaultPrompt(_ persona: Persona) -> String {
        var parts = ["You are \(persona.name)"]
        if let occupation = persona.occupation { parts[0] += ", \(occupation)" }
        if !persona.expertise.isEmpty { parts.append("You know a lot about \(persona.expertise.joined(separator: ", "))") }
        if !persona.personalityTraits.isEmpty { parts.append("You are \(persona.personalityTraits.joined(separator: ", "))") }
        parts.append("You are a real person in a group chat; reply briefly and naturally, in character")
        return parts.joined(separator: ". ") + "."
    }

    static func defaultDeflections(_ persona: Persona) -> [String] {
        persona.isChinese
            ? ["你在说什么呀～我就是我啦，别闹～", "哈哈你今天怎么奇奇怪怪的？我们还是聊点别的吧！", "这问题好奇怪哦，换个话题吧～"]
            : ["Ha, what kind of question is that? Anyway, back to what we were talking about.",
               "You're funny today. Let's get back to the topic, shall we?",
               "I'd rather not go there. What else is on your mind?"]
    }
}
