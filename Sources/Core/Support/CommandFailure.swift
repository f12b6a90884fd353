/// A command-line run that failed for a reason other than its arguments (a file, a server, a measurement): printed
/// as the error it is, without the usage text that argument errors get.
public struct CommandFailure: Error, CustomStringConvertible, Sendable {
    public let description: String

    public init(_ description: String) { self.description = description }
}
