import Foundation

/// Mono 16-bit PCM audio at one sample rate: what the offline engines take and make.
public struct AudioClip: Sendable, Equatable {
    public var samples: [Int16]
    public var sampleRate: Int

    public init(samples: [Int16], sampleRate: Int) {
        self.samples = samples
        self.sampleRate = sampleRate
    }

    /// Length in seconds.
    public var duration: Double { sampleRate > 0 ? Double(samples.count) / Double(sampleRate) : 0 }

    /// The clip at `rate` samples per second, by windowed-sinc interpolation: when lowering the rate, what lies above
    /// the new Nyquist frequency is filtered out instead of folding back into the band recognisers listen to.
    public func resampled(to rate: Int) -> AudioClip {
        guard rate != sampleRate, rate > 0, sampleRate > 0, !samples.isEmpty else {
            return AudioClip(samples: samples, sampleRate: rate > 0 ? rate : sampleRate)
        }
        let step = Double(sampleRate) / Double(rate)
        let count = max(1, Int((Double(samples.count) / step).rounded(.down)))
        // The cutoff as a fraction of the input's Nyquist frequency, a little under the output's.
        let cutoff = min(1, 1 / step) * 0.95
        let halfWidth = Int((16 / cutoff).rounded(.up))
        let taps = 2 * halfWidth
        // Filter weights for 1,024 fractional positions between input samples, computed once: the nearest one is
        // within 1/2048 of a sample, far below what speech recognisers can tell.
        let phases = 1_024
        var table = [Float](repeating: 0, count: (phases + 1) * taps)
        for phase in 0...phases {
            let fraction = Double(phase) / Double(phases)
            for tap in 0..<taps {
                let distance = fraction + Double(halfWidth - 1 - tap)
                let x = distance * cutoff
                let sinc = abs(x) < 1e-9 ? 1 : sin(Double.pi * x) / (Double.pi * x)
                // Blackman window over ±halfWidth input samples.
                let angle = (distance / Double(halfWidth) + 1) * Double.pi
                let window = max(0, 0.42 - 0.5 * cos(angle) + 0.08 * cos(2 * angle))
                table[phase * taps + tap] = Float(sinc * window * cutoff)
            }
        }
        let input = samples.map(Float.init)
        var output = [Int16](repeating: 0, count: count)
        for index in 0..<count {
            let centre = Double(index) * step
            let base = Int(centre.rounded(.down))
            let row = Int(((centre - Double(base)) * Double(phases)).rounded()) * taps
            // Taps cover input samples base - halfWidth + 1 ... base + halfWidth; those outside the clip are silence.
            let first = base - halfWidth + 1
            var sum: Float = 0
            for tap in max(0, -first)..<min(taps, input.count - first) {
                sum += input[first + tap] * table[row + tap]
            }
            output[index] = Int16(clamping: Int(sum.rounded()))
        }
        return AudioClip(samples: output, sampleRate: rate)
    }
}
