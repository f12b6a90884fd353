import COpenBLAS
import CVectorKernels
import Foundation

/// L2-normalised Float32 vectors in one contiguous row-major matrix, scored by cosine: one query's top-k through an
/// own kernel that scores several rows per pass and keeps the top-k as it goes (a single pass over the matrix, at the
/// memory bound), all of one query's scores through `cblas_sgemv`, a batch through `cblas_sgemm`.
public struct DenseIndex: Sendable {
    public let dimension: Int
    public private(set) var count: Int
    /// count × dimension, row-major, each row of unit length (or zero).
    public private(set) var matrix: [Float]

    /// An index of `vectors`, each normalised to unit length; every vector must have `dimension` values.
    public init(dimension: Int, vectors: [[Float]] = []) throws {
        self.dimension = dimension
        self.count = 0
        self.matrix = []
        matrix.reserveCapacity(vectors.count * dimension)
        for vector in vectors { try append(vector) }
    }

    /// Adds one vector (normalised) as the next row.
    public mutating func append(_ vector: [Float]) throws {
        guard vector.count == dimension else {
            throw DimensionMismatch(expected: dimension, actual: vector.count)
        }
        matrix.append(contentsOf: Self.normalised(vector))
        count += 1
    }

    /// `vector` scaled to unit length (unchanged if it is all zeros).
    public static func normalised(_ vector: [Float]) -> [Float] {
        let norm = vector.withUnsafeBufferPointer { cblas_snrm2(Int32($0.count), $0.baseAddress, 1) }
        guard norm > 0 else { return vector }
        return vector.map { $0 / norm }
    }

    /// Cosine similarity of `query` with every row.
    public func scores(for query: [Float]) throws -> [Float] {
        guard query.count == dimension else { throw DimensionMismatch(expected: dimension, actual: query.count) }
        let unit = Self.normalised(query)
        var result = [Float](repeating: 0, count: count)
        guard count > 0 else { return result }
        matrix.withUnsafeBufferPointer { rows in
            unit.withUnsafeBufferPointer { x in
                result.withUnsafeMutableBufferPointer { y in
                    cblas_sgemv(
                        CblasRowMajor, CblasNoTrans, Int32(count), Int32(dimension), 1, rows.baseAddress,
                        Int32(dimension), x.baseAddress, 1, 0, y.baseAddress, 1)
                }
            }
        }
        return result
    }

    /// The `k` rows most similar to `query`, best first; ties favour the lower row.
    public func search(_ query: [Float], k: Int) throws -> [ScoredDocument] {
        guard query.count == dimension else { throw DimensionMismatch(expected: dimension, actual: query.count) }
        let unit = Self.normalised(query)
        let capacity = max(0, min(k, count))
        guard capacity > 0 else { return [] }
        var rows = [Int64](repeating: 0, count: capacity)
        var scores = [Float](repeating: 0, count: capacity)
        let kept = matrix.withUnsafeBufferPointer { matrix in
            unit.withUnsafeBufferPointer { unit in
                vc_f32_top_k(matrix.baseAddress, count, dimension, unit.baseAddress, capacity, &rows, &scores)
            }
        }
        return (0..<kept).map { ScoredDocument(document: Int(rows[$0]), score: scores[$0]) }
    }

    /// The `k` best rows for each query of a batch, through one matrix multiplication.
    public func search(batch queries: [[Float]], k: Int) throws -> [[ScoredDocument]] {
        guard !queries.isEmpty, count > 0 else { return queries.map { _ in [] } }
        let block = try scoreMatrix(queries)
        return (0..<queries.count).map { row in
            Self.topK(block[(row * count)..<((row + 1) * count)], k: k)
        }
    }

    /// Similarities of each query with every row: queries.count × count, row-major.
    public func scoreMatrix(_ queries: [[Float]]) throws -> [Float] {
        var packed = [Float]()
        packed.reserveCapacity(queries.count * dimension)
        for query in queries {
            guard query.count == dimension else { throw DimensionMismatch(expected: dimension, actual: query.count) }
            packed.append(contentsOf: Self.normalised(query))
        }
        var result = [Float](repeating: 0, count: queries.count * count)
        matrix.withUnsafeBufferPointer { rows in
            packed.withUnsafeBufferPointer { q in
                result.withUnsafeMutableBufferPointer { c in
                    // C (queries × count) = Q (queries × dimension) · Mᵀ (dimension × count)
                    cblas_sgemm(
                        CblasRowMajor, CblasNoTrans, CblasTrans, Int32(queries.count), Int32(count),
                        Int32(dimension), 1, q.baseAddress, Int32(dimension), rows.baseAddress, Int32(dimension), 0,
                        c.baseAddress, Int32(count))
                }
            }
        }
        return result
    }

    /// The exact cosines of `rows` with `unit` (a normalised query), in their order.
    func cosines<C: Collection<Int>>(of rows: C, unit: [Float]) -> [Float] {
        matrix.withUnsafeBufferPointer { matrix in
            rows.map { row in
                let base = row * dimension
                var score: Float = 0
                for column in 0..<dimension { score += matrix[base + column] * unit[column] }
                return score
            }
        }
    }

    /// The `k` best of `candidates` (row numbers) by exact cosine with `unit` (a normalised query), best first:
    /// the last step of every approximate search over this index.
    func rescored<S: Sequence<Int>>(_ candidates: S, unit: [Float], k: Int) -> [ScoredDocument] {
        let rows = Array(candidates)
        var heap = TopKHeap(capacity: k)
        for (row, score) in zip(rows, cosines(of: rows, unit: unit)) { heap.insert(row, score) }
        return heap.sorted()
    }

    /// The row `index` (normalised).
    public func vector(at index: Int) -> ArraySlice<Float> {
        matrix[(index * dimension)..<((index + 1) * dimension)]
    }

    static func topK<C: Collection<Float>>(_ scores: C, k: Int) -> [ScoredDocument] where C.Index == Int {
        var heap = TopKHeap(capacity: k)
        let base = scores.startIndex
        for index in scores.indices {
            let score = scores[index]
            if score >= heap.threshold { heap.insert(index - base, score) }
        }
        return heap.sorted()
    }
}

/// A vector of the wrong length for the index.
public struct DimensionMismatch: Error, CustomStringConvertible, Equatable, Sendable {
    public let expected: Int
    public let actual: Int
    public var description: String { "vector has \(actual) dimensions, the index has \(expected)" }

    public init(expected: Int, actual: Int) {
        self.expected = expected
        self.actual = actual
    }
}

/// OpenBLAS's thread count is process-wide; benchmarks pin it to measure one core.
public enum BLASThreads {
    /// Sets the number of threads OpenBLAS uses for every later call.
    public static func set(_ threads: Int) { openblas_set_num_threads(Int32(threads)) }

    /// The kernel family OpenBLAS chose for this CPU (its `openblas_get_corename`), e.g. "Haswell" or "SkylakeX".
    public static var coreName: String { openblas_get_corename().map { String(cString: $0) } ?? "unknown" }

    /// A warning when OpenBLAS fell back to its generic SSE3 kernels on a CPU with AVX2: Debian 12's OpenBLAS 0.3.21
    /// does not know newer Xeons (seen here: "Prescott" on a Sapphire Rapids VM, 2–4× slower dense scoring). The choice
    /// is made when the library loads, so only the environment can fix it; nil when there is nothing to fix.
    public static func genericKernelWarning(
        cpuInfo: @autoclosure () -> String? = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
    ) -> String? {
        // The CPU's flags are read only when the generic kernels are in use.
        guard coreName.lowercased() == "prescott", let flags = cpuInfo()?.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
        else { return nil }
        let words = Set(flags.split(separator: " "))
        guard words.contains("avx2") else { return nil }
        let suggestion = words.contains("avx512f") ? "SkylakeX" : "Haswell"
        return "OpenBLAS chose its generic Prescott kernels on an AVX2 CPU; set OPENBLAS_CORETYPE=\(suggestion) "
            + "(the Makefile and scripts do) for the fast ones"
    }
}
