import CVectorKernels

/// Int8 copies of a dense index's rows (one scale per row) for a fast first pass, with an exact Float32
/// rescoring of the shortlist so the final order and scores are those of the full-precision index.
public struct QuantizedDenseIndex: Sendable {
    public let exact: DenseIndex
    private let codes: [Int8]
    private let scales: [Float]
    /// Rows kept from the int8 pass for exact rescoring, as a multiple of k.
    public var shortlistFactor: Int

    public init(_ exact: DenseIndex, shortlistFactor: Int = 10) {
        self.exact = exact
        self.shortlistFactor = shortlistFactor
        var codes = [Int8](repeating: 0, count: exact.count * exact.dimension)
        var scales = [Float](repeating: 0, count: exact.count)
        for row in 0..<exact.count {
            let (rowCodes, scale) = Self.quantise(exact.vector(at: row))
            scales[row] = scale
            codes.replaceSubrange((row * exact.dimension)..<((row + 1) * exact.dimension), with: rowCodes)
        }
        self.codes = codes
        self.scales = scales
    }

    /// Symmetric quantisation to [-127, 127]; returns the codes and the factor that maps them back.
    static func quantise<C: Collection<Float>>(_ values: C) -> ([Int8], Float) {
        let largest = values.map(abs).max() ?? 0
        guard largest > 0 else { return (Array(repeating: 0, count: values.count), 0) }
        let scale = largest / 127
        return (values.map { Int8(($0 / scale).rounded()) }, scale)
    }

    /// The `k` rows most similar to `query`: approximate int8 scores pick `k × shortlistFactor` rows,
    /// exact cosine orders them.
    public func search(_ query: [Float], k: Int) throws -> [ScoredDocument] {
        guard query.count == exact.dimension else { throw DimensionMismatch(expected: exact.dimension, actual: query.count) }
        let unit = DenseIndex.normalised(query)
        let (queryCodes, queryScale) = Self.quantise(unit)
        let dimension = exact.dimension
        var approximate = [Float](repeating: 0, count: exact.count)
        codes.withUnsafeBufferPointer { rows in
            queryCodes.withUnsafeBufferPointer { q in
                scales.withUnsafeBufferPointer { rowScales in
                    approximate.withUnsafeMutableBufferPointer { out in
                        vc_int8_scores(rows.baseAddress, exact.count, dimension, q.baseAddress, rowScales.baseAddress, out.baseAddress)
                    }
                }
            }
        }
        let heap = DenseIndex.topK(approximate, k: k * shortlistFactor)
        _ = queryScale  // a common factor: it does not change the order
        var rescored = TopKHeap(capacity: k)
        for candidate in heap {
            var score: Float = 0
            let row = exact.vector(at: candidate.document)
            for (a, b) in zip(row, unit) { score += a * b }
            rescored.insert(candidate.document, score)
        }
        return rescored.sorted()
    }
}
