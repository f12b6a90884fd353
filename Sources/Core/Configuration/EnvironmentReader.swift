import Foundation

/// Typed, range-checked reads of string variables; every failure names the variable and the accepted range.
struct EnvironmentReader {
    let values: [String: String]

    func string(_ name: String, default fallback: String) -> String {
        guard let raw = values[name]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return fallback }
        return raw
    }

    func optionalString(_ name: String) -> String? {
        guard let raw = values[name]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
        return raw
    }

    func int(_ name: String, default fallback: Int, in range: ClosedRange<Int>) throws -> Int {
        guard let raw = optionalString(name) else { return fallback }
        guard let value = Int(raw), range.contains(value) else {
            throw ConfigurationError(
                variable: name, value: raw,
                expectation: "an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    func double(_ name: String, default fallback: Double, in range: ClosedRange<Double>) throws -> Double {
        guard let raw = optionalString(name) else { return fallback }
        guard let value = Double(raw), value.isFinite, range.contains(value) else {
            throw ConfigurationError(
                variable: name, value: raw,
                expectation: "a number in \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    func choice<T: RawRepresentable & CaseIterable>(_ name: String, default fallback: T) throws -> T
    where T.RawValue == String {
        guard let raw = optionalString(name) else { return fallback }
        guard let value = T(rawValue: raw.lowercased()) else {
            throw ConfigurationError(
                variable: name, value: raw,
                expectation: "one of " + T.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return value
    }

    func httpURL(_ name: String, default fallback: String) throws -> URL {
        let raw = string(name, default: fallback)
        guard let url = URL(string: raw), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
            url.host != nil
        else {
            throw ConfigurationError(variable: name, value: raw, expectation: "an http:// or https:// URL")
        }
        return url
    }
}
