import Foundation

/// The platform's trim call: glibc's `malloc_trim`, looked up at run time (it is a GNU extension the Glibc module
/// does not import, and other C libraries lack it: there, trimming does nothing).
public enum MemoryTrim {
    private typealias Trim = @convention(c) (Int) -> Int32

    private static let function: Trim? = {
        #if canImport(Glibc)
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return nil }
        return unsafeBitCast(symbol, to: Trim.self)
        #else
        return nil
        #endif
    }()

    /// Returns the free heap to the system.
    @Sendable public static func systemTrim() { _ = function?(0) }
}
