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

    /// The clip at `rate` samples per second, by linear interpolation (enough for speech recognisers, which
    /// low-pass to 8 kHz anyway).
    public func resampled(to rate: Int) -> AudioClip {
        guard rate != sampleRate, rate > 0, sampleRate > 0, !samples.isEmpty else {
            return AudioClip(samples: samples, sampleRate: rate > 0 ? rate : sampleRate)
        }
        let count = Int((Double(samples.count) * Double(rate) / Double(sampleRate)).rounded(.down))
        let step = Double(sampleRate) / Double(rate)
        let last = samples.count - 1
        var output = [Int16](repeating: 0, count: max(count, 1))
        for index in output.indices {
            let position = Double(index) * step
            let left = min(Int(position), last)
            let right = min(left + 1, last)
            let fraction = position - Double(left)
            let value = Double(samples[left]) * (1 - fraction) + Double(samples[right]) * fraction
            output[index] = Int16(clamping: Int(value.rounded()))
        }
        return AudioClip(samples: output, sampleRate: rate)
    }
}
