/// A configuration value that cannot be used; the message names the variable and what it accepts.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The environment variable (or file and line) at fault.
    public let variable: String
    /// The offending value, already made safe to print (secrets are never stored here).
    public let value: String?
    /// What would have been accepted.
    public let expectation: String

    public var description: String {
        if let value {
            return "invalid configuration: \(variable)=\"\(value)\" is not accepted; expected \(expectation)"
        }
        return "invalid configuration: \(variable): expected \(expectation)"
    }
}
