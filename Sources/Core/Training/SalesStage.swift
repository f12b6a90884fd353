import Foundation

/// The five stages of a sales conversation, in the order a trainee is expected to move through them.
public enum SalesStage: Int, Sendable, Codable, CaseIterable, Comparable {
    case trustAndRapport = 1, needsDiagnosis, valuePresentation, objectionHandling, closing

    /// The stage's name as the original's API and reports show it.
    public var name: String {
        switch self {
        case .trustAndRapport: return "trust and rapport"
        case .needsDiagnosis: return "needs diagnosis"
        case .valuePresentation: return "value presentation"
        case .objectionHandling: return "objection handling"
        case .closing: return "closing"
        }
    }

    public static func < (left: SalesStage, right: SalesStage) -> Bool { left.rawValue < right.rawValue }
}
