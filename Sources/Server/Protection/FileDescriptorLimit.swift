import Logging
import VividCrowdCore

/// Fits the connection cap to the files the process may open: every connection is a descriptor, and a server that
/// runs out of them fails `accept` for everyone instead of refusing the surplus with a clear 503.
enum FileDescriptorLimit {
    /// Descriptors kept for what is not a client connection: the database, upstream HTTP connections, files, logs.
    static let reserve = 256

    /// `maxConnections`, after raising the soft `RLIMIT_NOFILE` towards the hard one if it is too low; lowered, with
    /// a warning, when even the hard limit cannot hold it.
    static func connections(fitting maxConnections: Int, logger: Logger) -> Int {
        let needed = maxConnections + reserve
        guard let limit = OpenFileLimit.raise(toAtLeast: needed), limit.soft < needed else { return maxConnections }
        let fitted = max(1, limit.soft - reserve)
        logger.warning("""
            MAX_CONNECTIONS lowered from \(maxConnections) to \(fitted): the process may open only \(limit.soft) \
            files (ulimit -n), \(reserve) of which are kept for the database and upstream connections
            """)
        return fitted
    }
}
