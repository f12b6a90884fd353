import Foundation

/// Reads and writes RIFF/WAVE files: 8-, 16-, 24- and 32-bit integer PCM and 32-bit float, any number of channels
/// (mixed down to mono on reading). Anything else is refused with a `SpeechError` that says what was found.
public enum WAVCodec {
    /// The bytes of a 16-bit mono WAVE file holding `clip`.
    public static func encode(_ clip: AudioClip) -> Data {
        let dataBytes = clip.samples.count * 2
        var data = Data(capacity: 44 + dataBytes)
        func append<T: FixedWidthInteger>(_ value: T) {
            withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) }
        }
        data.append(contentsOf: Array("RIFF".utf8))
        append(UInt32(truncatingIfNeeded: 36 + dataBytes))
        data.append(contentsOf: Array("WAVEfmt ".utf8))
        append(UInt32(16))
        append(UInt16(1))
        append(UInt16(1))
        append(UInt32(clip.sampleRate))
        append(UInt32(clip.sampleRate * 2))
        append(UInt16(2))
        append(UInt16(16))
        data.append(contentsOf: Array("data".utf8))
        append(UInt32(truncatingIfNeeded: dataBytes))
        clip.samples.withUnsafeBufferPointer { buffer in
            for sample in buffer { append(sample) }
        }
        return data
    }

    /// Whether `data` starts like a WAVE file.
    public static func looksLikeWAV(_ data: Data) -> Bool {
        data.count >= 12 && data.prefix(4).elementsEqual("RIFF".utf8) && data.dropFirst(8).prefix(4).elementsEqual("WAVE".utf8)
    }

    /// The mono clip a WAVE file holds.
    public static func decode(_ data: Data) throws -> AudioClip {
        guard looksLikeWAV(data) else { throw SpeechError.unsupportedAudio(Self.describeFormat(of: data)) }
        let bytes = [UInt8](data)
        func uint16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        func uint32(_ at: Int) -> Int { uint16(at) | uint16(at + 2) << 16 }
        var offset = 12
        var format: (code: Int, channels: Int, rate: Int, bits: Int)?
        while offset + 8 <= bytes.count {
            let id = String(decoding: bytes[offset..<offset + 4], as: UTF8.self)
            let size = uint32(offset + 4)
            let body = offset + 8
            switch id {
            case "fmt ":
                guard size >= 16, body + 16 <= bytes.count else { throw SpeechError.corruptAudio("its format chunk is cut short") }
                var code = uint16(body)
                // WAVE_FORMAT_EXTENSIBLE names the real format in the first two bytes of its sub-format GUID.
                if code == 0xFFFE, size >= 40, body + 26 <= bytes.count { code = uint16(body + 24) }
                format = (code, uint16(body + 2), uint32(body + 4), uint16(body + 14))
            case "data":
                guard let format else { throw SpeechError.corruptAudio("its samples come before their format") }
                // A recorder that was stopped early may leave a data size larger than the file: read what is there.
                let end = min(body + size, bytes.count)
                return try clip(bytes[body..<end], format: format)
            default:
                break
            }
            offset = body + size + (size & 1)
        }
        throw SpeechError.corruptAudio("it holds no samples (no data chunk)")
    }

    private static func clip(_ raw: ArraySlice<UInt8>, format: (code: Int, channels: Int, rate: Int, bits: Int)) throws -> AudioClip {
        let (code, channels, rate, bits) = format
        guard channels >= 1, channels <= 16 else { throw SpeechError.corruptAudio("it claims \(channels) channels") }
        guard (1_000...384_000).contains(rate) else { throw SpeechError.unsupportedAudio("WAV at \(rate) Hz") }
        let isFloat = code == 3 && bits == 32
        guard isFloat || (code == 1 && [8, 16, 24, 32].contains(bits)) else {
            throw SpeechError.unsupportedAudio("WAV with format code \(code) and \(bits)-bit samples (send PCM or 32-bit float)")
        }
        let width = bits / 8
        let frameWidth = width * channels
        let frames = raw.count / frameWidth
        var samples = [Int16](repeating: 0, count: frames)
        let base = raw.startIndex
        for frame in 0..<frames {
            var sum = 0.0
            for channel in 0..<channels {
                let at = base + frame * frameWidth + channel * width
                sum += sample(raw, at: at, width: width, isFloat: isFloat)
            }
            samples[frame] = Int16(clamping: Int((sum / Double(channels) * 32768).rounded()))
        }
        return AudioClip(samples: samples, sampleRate: rate)
    }

    /// One sample as a value in -1...1.
    private static func sample(_ raw: ArraySlice<UInt8>, at: Int, width: Int, isFloat: Bool) -> Double {
        var value: UInt32 = 0
        for byte in 0..<width { value |= UInt32(raw[at + byte]) << (8 * byte) }
        if isFloat {
            let float = Double(Float(bitPattern: value))
            return float.isFinite ? max(-1, min(1, float)) : 0
        }
        switch width {
        case 1: return (Double(value) - 128) / 128
        case 2: return Double(Int16(truncatingIfNeeded: value)) / 32768
        case 3: return Double(Int32(bitPattern: value << 8) >> 8) / 8_388_608
        default: return Double(Int32(bitPattern: value)) / 2_147_483_648
        }
    }

    /// A short name for what some audio bytes look like, for refusals.
    public static func describeFormat(of data: Data) -> String {
        let head = [UInt8](data.prefix(12))
        func starts(_ text: String) -> Bool { head.starts(with: Array(text.utf8)) }
        if head.isEmpty { return "an empty file" }
        if head.starts(with: [0x1A, 0x45, 0xDF, 0xA3]) { return "WebM/Matroska audio" }
        switch MediaKind.audioExtension(of: data) {
        case "ogg": return "Ogg audio"
        case "mp3": return "MP3 audio"
        default: break
        }
        if starts("fLaC") { return "FLAC audio" }
        if head.count >= 8, head[4...7].elementsEqual("ftyp".utf8) { return "MP4/M4A audio" }
        if starts("RIFF") { return "a RIFF file that is not WAVE" }
        return "not a recognised audio format"
    }
}
