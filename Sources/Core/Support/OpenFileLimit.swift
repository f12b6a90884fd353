#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The soft limit on open files (`ulimit -n`), which every socket counts against, raised towards the hard limit when
/// a process needs more (as Go and nginx do).
public enum OpenFileLimit {
    /// The limits after raising the soft one towards `needed` (never above the hard one); nil where they cannot be read.
    public static func raise(toAtLeast needed: Int) -> (soft: Int, hard: Int)? {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        if limit.rlim_cur < rlim_t(needed) {
            var raised = limit
            raised.rlim_cur = min(rlim_t(needed), limit.rlim_max)
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        let clamp = { (value: rlim_t) in value > rlim_t(Int.max) ? Int.max : Int(value) }
        return (clamp(limit.rlim_cur), clamp(limit.rlim_max))
    }
}
