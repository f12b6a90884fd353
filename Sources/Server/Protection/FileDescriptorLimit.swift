#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging

/// Fits the connection cap to the files the process may open: every connection is a descriptor, and a server that
/// runs out of them fails `accept` for everyone instead of refusing the surplus with a clear 503.
enum FileDescriptorLimit {
    /// Descriptors kept for what is not a client connection: the database, upstream HTTP connections, files, logs.
    static let reserve = 256

    /// `maxConnections`, after raising the soft `RLIMIT_NOFILE` towards the hard one if it is too low (as Go and
    /// nginx do); lowered, with a warning, when even the hard limit cannot hold it.
    static func connections(fitting maxConnections: Int, logger: Logger) -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return maxConnections }
        let needed = rlim_t(maxConnections + reserve)
        if limit.rlim_cur < needed {
            var raised = limit
            raised.rlim_cur = min(needed, limit.rlim_max)
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        guard limit.rlim_cur < needed else { return maxConnections }
        let fitted = max(1, Int(limit.rlim_cur) - reserve)
        logger.warning("""
            MAX_CONNECTIONS lowered from \(maxConnections) to \(fitted): the process may open only \(limit.rlim_cur) \
            files (ulimit -n), \(reserve) of which are kept for the database and upstream connections
            """)
        return fitted
    }
}
