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
        return exact.rescored(approximateTopK(unit, k: k * shortlistFactor).lazy.map(\.document), unit: unit, k: k)
    }

    /// The int8 pass alone: the `k` rows with the best scale × integer dot product with the quantised unit query.
    func approximateTopK(_ unit: [Float], k: Int) -> [ScoredDocument] {
        // The query's own scale is a common factor: it does not change the order.
        let (queryCodes, _) = Self.quantise(unit)
        let capacity = max(0, min(k, exact.count))
        guard capacity > 0 else { return [] }
        var rows = [Int64](repeating: 0, count: capacity)
        var scores = [Float](repeating: 0, count: capacity)
        let kept = codes.withUnsafeBufferPointer { codes in
            queryCodes.withUnsafeBufferPointer { q in
                scales.withUnsafeBufferPointer { rowScales in
                    vc_int8_top_k(codes.baseAddress, exact.count, exact.dimension, q.baseAddress, rowScales.baseAddress,
                                  capacity, &rows, &scores)
                }
            }
        }
        return (0..<kept).map { ScoredDocument(document: Int(rows[$0]), score: scores[$0]) }
    }

    /// Row `row`'s int8 codes and scale.
    func quantisedRow(_ row: Int) -> (codes: ArraySlice<Int8>, scale: Float) {
        (codes[(row * exact.dimension)..<((row + 1) * exact.dimension)], scales[row])
    }
}
