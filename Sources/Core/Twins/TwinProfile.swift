import Foundation

/// What a twin's document is about: a person, a book or a topic (course material).
public enum TwinSourceType: String, Sendable, Codable, CaseIterable {
    case person, book, topic
}

/// The facts a twin's persona is built from, extracted from its document by one structured LLM call. Which fields
/// apply depends on the source type; the others stay nil.
public struct TwinProfile: Sendable, Codable, Equatable {
    /// The person's name, or the book's or topic's title.
    public var name: String
    // Person.
    public var birthYear: Int?
    public var deathYear: Int?
    public var nationality: String?
    public var occupation: String?
    public var personality: String?
    public var speechStyle: String?
    // Book.
    public var author: String?
    public var coreIdeas: [String]?
    public var writingStyle: String?
    // Topic.
    public var instructor: String?
    public var coreConcepts: [String]?
    public var knowledgePoints: [String]?
    // Person and book.
    public var famousQuotes: [String]?

    /// The profile's JSON keys.
    public enum CodingKeys: String, CodingKey, Sendable, CaseIterable {
        case name, nationality, occupation, personality, author, instructor
        case birthYear = "birth_year"
        case deathYear = "death_year"
        case speechStyle = "speech_style"
        case coreIdeas = "core_ideas"
        case writingStyle = "writing_style"
        case coreConcepts = "core_concepts"
        case knowledgePoints = "knowledge_points"
        case famousQuotes = "famous_quotes"
    }

    public init(
        name: String, birthYear: Int? = nil, deathYear: Int? = nil, nationality: String? = nil, occupation: String? = nil,
        personality: String? = nil, speechStyle: String? = nil, author: String? = nil, coreIdeas: [String]? = nil,
        writingStyle: String? = nil, instructor: String? = nil, coreConcepts: [String]? = nil,
        knowledgePoints: [String]? = nil, famousQuotes: [String]? = nil
    ) {
        self.name = name
        self.birthYear = birthYear
        self.deathYear = deathYear
        self.nationality = nationality
        self.occupation = occupation
        self.personality = personality
        self.speechStyle = speechStyle
        self.author = author
        self.coreIdeas = coreIdeas
        self.writingStyle = writingStyle
        self.instructor = instructor
        self.coreConcepts = coreConcepts
        self.knowledgePoints = knowledgePoints
        self.famousQuotes = famousQuotes
    }

    /// The fields a source type's profile carries, in the order the schema lists them.
    public static func fields(for type: TwinSourceType) -> [CodingKeys] {
        switch type {
        case .person: return [.name, .birthYear, .deathYear, .nationality, .occupation, .personality, .famousQuotes, .speechStyle]
        case .book: return [.name, .author, .coreIdeas, .famousQuotes, .writingStyle]
        case .topic: return [.name, .instructor, .coreConcepts, .knowledgePoints]
        }
    }

    /// The JSON schema of a source type's profile: every field required (null when the document does not say), no
    /// others, lists of short strings.
    public static func schema(for type: TwinSourceType) -> JSONValue {
        var properties: [String: JSONValue] = [:]
        for field in fields(for: type) {
            switch field {
            case .name: properties[field.rawValue] = .object(["type": .string("string"), "minLength": .number(1), "maxLength": .number(200)])
            case .birthYear, .deathYear:
                properties[field.rawValue] = .object([
                    "type": .array([.string("integer"), .string("null")]), "minimum": .number(-5000), "maximum": .number(3000),
                ])
            case .coreIdeas, .coreConcepts, .knowledgePoints, .famousQuotes:
                properties[field.rawValue] = .object([
                    "type": .string("array"), "maxItems": .number(8),
                    "items": .object(["type": .string("string"), "maxLength": .number(300)]),
                ])
            default:
                properties[field.rawValue] = .object(["type": .array([.string("string"), .string("null")]), "maxLength": .number(300)])
            }
        }
        return .object([
            "type": .string("object"), "properties": .object(properties),
            "required": .array(fields(for: type).map { .string($0.rawValue) }), "additionalProperties": .bool(false),
        ])
    }

    /// Checks an extracted profile: a name, years in order and not in the future, quotes that are not empty.
    public func validated(today year: Int) throws -> TwinProfile {
        var profile = self
        profile.name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !profile.name.isEmpty else { throw StructuredOutputProblem("name is empty") }
        if let birthYear, birthYear > year { throw StructuredOutputProblem("birth_year \(birthYear) is in the future") }
        if let birthYear, let deathYear, deathYear < birthYear {
            throw StructuredOutputProblem("death_year \(deathYear) is before birth_year \(birthYear)")
        }
        func clean(_ list: [String]?) -> [String]? {
            list.map { $0.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty } }
        }
        profile.coreIdeas = clean(coreIdeas)
        profile.coreConcepts = clean(coreConcepts)
        profile.knowledgePoints = clean(knowledgePoints)
        profile.famousQuotes = clean(famousQuotes)
        return profile
    }
}
