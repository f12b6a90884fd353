import Foundation
import VividCrowdCore

/// The committed baseline: for each scenario, each deterministic metric's value and how far it may move.
public struct SimulationBaseline: Sendable, Codable, Equatable {
    public struct Entry: Sendable, Codable, Equatable {
        public var value: Double
        public var tolerance: Double
    }

    public var scenarios: [String: [String: Entry]]

    /// A baseline of `reports`: shares (0...1) may move by 0.02, counts and other figures not at all.
    public static func from(_ reports: [SimulationReport]) -> SimulationBaseline {
        SimulationBaseline(scenarios: Dictionary(uniqueKeysWithValues: reports.map { report in
            (report.scenario, report.metrics.mapValues { value in
                Entry(value: value, tolerance: value == value.rounded() && value > 1 ? 0 : 0.02)
            })
        }))
    }

    /// One metric that moved beyond its tolerance, or vanished, or appeared.
    public struct Regression: Sendable, CustomStringConvertible {
        public var scenario: String
        public var metric: String
        public var baseline: Double?
        public var current: Double?
        public var tolerance: Double

        public var description: String {
            switch (baseline, current) {
            case (let old?, let new?):
                return "\(scenario).\(metric): \(format(new)) vs baseline \(format(old)) (moved \(format(new - old)), tolerance ±\(format(tolerance)))"
            case (nil, let new?): return "\(scenario).\(metric): \(format(new)) is not in the baseline"
            case (let old?, nil): return "\(scenario).\(metric): missing (baseline \(format(old)))"
            default: return "\(scenario).\(metric)"
            }
        }

        private func format(_ value: Double) -> String { String(format: "%.4g", value) }
    }

    /// What moved beyond its tolerance.
    public func regressions(_ reports: [SimulationReport]) -> [Regression] {
        var found: [Regression] = []
        for report in reports {
            guard let expected = scenarios[report.scenario] else {
                found.append(Regression(scenario: report.scenario, metric: "*", baseline: nil, current: nil, tolerance: 0))
                continue
            }
            for (metric, entry) in expected.sorted(by: { $0.key < $1.key }) {
                guard let value = report.metrics[metric] else {
                    found.append(Regression(scenario: report.scenario, metric: metric, baseline: entry.value, current: nil, tolerance: entry.tolerance))
                    continue
                }
                if abs(value - entry.value) > entry.tolerance + 1e-9 {
                    found.append(Regression(scenario: report.scenario, metric: metric, baseline: entry.value, current: value, tolerance: entry.tolerance))
                }
            }
            for metric in report.metrics.keys.sorted() where expected[metric] == nil {
                found.append(Regression(scenario: report.scenario, metric: metric, baseline: nil, current: report.metrics[metric], tolerance: 0))
            }
        }
        return found
    }
}
