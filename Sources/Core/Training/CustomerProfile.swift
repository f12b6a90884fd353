import Foundation

/// A simulated customer, as one structured LLM call extracts it from an uploaded profile document.
public struct CustomerProfile: Sendable, Codable, Equatable {
    /// How the customer meets a salesperson.
    public enum Personality: String, Sendable, Codable, CaseIterable { case conservative, open, critical }
    /// How readily the customer concedes: an easy customer is won by a sound pitch, a hard one only by a good one.
    public enum Difficulty: String, Sendable, Codable, CaseIterable { case easy, normal, hard }

    public var name: String
    public var role: String
    public var industry: String
    public var personality: Personality
    public var communicationStyle: String
    public var painPoints: [String]
    public var needs: [String]
    public var typicalObjections: [String]
    /// Objections the customer holds back until the trainee uncovers them.
    public var hiddenObjections: [String]
    public var decisionRole: String
    public var budgetAuthority: String
    public var purchaseCycle: String
    public var emotionalState: String
    public var riskAppetite: String
    public var difficulty: Difficulty

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, role, industry, personality, needs, difficulty
        case communicationStyle = "communication_style"
        case painPoints = "pain_points"
        case typicalObjections = "typical_objections"
        case hiddenObjections = "hidden_objections"
        case decisionRole = "decision_role"
        case budgetAuthority = "budget_authority"
        case purchaseCycle = "purchase_cycle"
        case emotionalState = "emotional_state"
        case riskAppetite = "risk_appetite"
    }

    public init(
        name: String, role: String, industry: String, personality: Personality, communicationStyle: String, painPoints: [String],
        needs: [String], typicalObjections: [String], hiddenObjections: [String], decisionRole: String, budgetAuthority: String,
        purchaseCycle: String, emotionalState: String, riskAppetite: String, difficulty: Difficulty
    ) {
        self.name = name
        self.role = role
        self.industry = industry
        self.personality = personality
        self.communicationStyle = communicationStyle
        self.painPoints = painPoints
        self.needs = needs
        self.typicalObjections = typicalObjections
        self.hiddenObjections = hiddenObjections
        self.decisionRole = decisionRole
        self.budgetAuthority = budgetAuthority
        self.purchaseCycle = purchaseCycle
        self.emotionalState = emotionalState
        self.riskAppetite = riskAppetite
        self.difficulty = difficulty
    }

    /// The JSON schema of the extraction call.
    public static let schema: JSONValue = {
        func text() -> JSONValue { .object(["type": .string("string")]) }
        func list() -> JSONValue { .object(["type": .string("array"), "items": text()]) }
        func choice(_ values: [String]) -> JSONValue { .object(["type": .string("string"), "enum": .array(values.map(JSONValue.string))]) }
        var properties: [String: JSONValue] = [:]
        for key in CodingKeys.allCases {
            switch key {
            case .personality: properties[key.rawValue] = choice(Personality.allCases.map(\.rawValue))
            case .difficulty: properties[key.rawValue] = choice(Difficulty.allCases.map(\.rawValue))
            case .painPoints, .needs, .hiddenObjections: properties[key.rawValue] = list()
            // A customer without an objection gives a trainee nothing to handle; a grammar-constrained model is held to one.
            case .typicalObjections: properties[key.rawValue] = .object(["type": .string("array"), "items": text(), "minItems": .number(1)])
            case .name: properties[key.rawValue] = .object(["type": .string("string"), "minLength": .number(1), "maxLength": .number(100)])
            default: properties[key.rawValue] = text()
            }
        }
        return .object([
            "type": .string("object"), "properties": .object(properties),
            "required": .array(CodingKeys.allCases.map { .string($0.rawValue) }),
        ])
    }()

    /// The profile trimmed, with a name and at least one objection a trainee can meet; anything else is told to the
    /// model to try again.
    public func validated() throws -> CustomerProfile {
        func clean(_ text: String) -> String { text.trimmingCharacters(in: .whitespacesAndNewlines) }
        func clean(_ items: [String]) -> [String] { Array(items.map(clean).filter { !$0.isEmpty }.prefix(12)) }
        var profile = self
        profile.name = clean(name)
        guard !profile.name.isEmpty, profile.name.count <= 100 else { throw StructuredOutputProblem("name must be 1 to 100 characters") }
        (profile.role, profile.industry, profile.communicationStyle) = (clean(role), clean(industry), clean(communicationStyle))
        (profile.decisionRole, profile.budgetAuthority, profile.purchaseCycle) = (clean(decisionRole), clean(budgetAuthority), clean(purchaseCycle))
        (profile.emotionalState, profile.riskAppetite) = (clean(emotionalState), clean(riskAppetite))
        (profile.painPoints, profile.needs) = (clean(painPoints), clean(needs))
        (profile.typicalObjections, profile.hiddenObjections) = (clean(typicalObjections), clean(hiddenObjections))
        guard !profile.typicalObjections.isEmpty || !profile.hiddenObjections.isEmpty else {
            throw StructuredOutputProblem("give at least one objection the customer raises (typical_objections or hidden_objections)")
        }
        return profile
    }
}
