import Foundation

/// Float32 vectors as little-endian bytes: the storage form for BLOBs and cassettes.
public enum VectorCodec {
    /// The little-endian bytes of `vector`.
    public static func encode(_ vector: [Float]) -> Data {
        var data = Data(capacity: vector.count * 4)
        for value in vector {
            withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) }
        }
        return data
    }

    /// The vector stored in `data`; trailing bytes that do not fill a Float32 are ignored.
    public static func decode(_ data: Data) -> [Float] {
        let count = data.count / 4
        var vector = [Float](repeating: 0, count: count)
        data.withUnsafeBytes { raw in
            for index in 0..<count {
                let bits = raw.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self)
                vector[index] = Float(bitPattern: UInt32(littleEndian: bits))
            }
        }
        return vector
    }
}
