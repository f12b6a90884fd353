import CVectorKernels

/// One thread's sequential read bandwidth: the floor for any exact single-query scan of a vector matrix.
///
/// Two C kernels read the same buffer, interleaved, best of several runs each: an explicit AVX-512 / AVX2 one with
/// eight accumulators, and a plain STREAM-style loop the compiler vectorises. They should agree; the bound is the
/// faster of the two, so a dense figure is never flattered by a slow measurement of the bound.
public struct ReadBandwidth: Sendable, Codable, Hashable {
    /// Bytes per second read by the explicit SIMD kernel.
    public var kernel: Double
    /// Bytes per second read by the STREAM-style reference loop.
    public var reference: Double

    /// The bound used for ratios: the faster of the two kernels.
    public var bound: Double { max(kernel, reference) }

    public init(kernel: Double, reference: Double) {
        self.kernel = kernel
        self.reference = reference
    }

    /// Milliseconds one thread needs at least to read `bytes` once.
    public func milliseconds(toRead bytes: Int) -> Double { Double(bytes) / bound * 1000 }

    /// Measures both kernels over a buffer of `bytes` (default 256 MB, far beyond any cache), `runs` times each.
    public static func measure(bytes: Int = 256 << 20, runs: Int = 7) -> ReadBandwidth {
        let floats = max(1, bytes / MemoryLayout<Float>.stride)
        let buffer = [Float](repeating: 1, count: floats)
        var kernel = 0.0, reference = 0.0
        var checksum: Float = 0
        buffer.withUnsafeBufferPointer { pointer in
            for _ in 0..<max(1, runs) {
                var started = ContinuousClock.now
                checksum += vc_read_sum_f32(pointer.baseAddress, floats)
                kernel = max(kernel, Double(floats * 4) / seconds(since: started))
                started = ContinuousClock.now
                checksum += vc_read_sum_reference_f32(pointer.baseAddress, floats)
                reference = max(reference, Double(floats * 4) / seconds(since: started))
            }
        }
        // Using the sums keeps the reads from being optimised away.
        precondition(checksum > 0, "read kernels summed a buffer of ones to \(checksum)")
        return ReadBandwidth(kernel: kernel, reference: reference)
    }

    private static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = (ContinuousClock.now - start).components
        return max(1e-9, Double(elapsed.seconds) + Double(elapsed.attoseconds) * 1e-18)
    }
}
