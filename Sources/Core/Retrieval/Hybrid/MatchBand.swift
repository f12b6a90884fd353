/// How sure the matcher is, and therefore what the customer-service mode does with a match.
public enum MatchBand: String, Sendable, Codable, CaseIterable {
    /// Answer with the standard script verbatim.
    case high = "high_confidence"
    /// Let the LLM rewrite the script.
    case mid = "mid_confidence"
    /// Ask the user to rephrase.
    case low = "low_confidence"
    /// Nothing in the knowledge base matched at all.
    case noMatch = "no_match"
}
