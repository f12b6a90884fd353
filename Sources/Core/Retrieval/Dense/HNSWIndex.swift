import CHNSW
import Foundation

/// An HNSW graph (hnswlib) over the rows of a ``DenseIndex`` for approximate search on large corpora: the graph
/// finds the candidates, and the index re-scores them, so every returned score is the one exact search gives.
///
/// Immutable once built; hnswlib's searches may run concurrently (its visited lists come from a locked pool), which
/// is why the class can be shared.
public final class HNSWIndex: DenseSearching, @unchecked Sendable {
    /// How the graph is built and searched.
    public struct Parameters: Sendable, Hashable, Codable {
        /// Links per node (hnswlib's M).
        public var links: Int
        /// Candidate list while building (ef_construction).
        public var buildCandidates: Int
        /// Candidate list while searching (ef); at least the number of candidates asked for.
        public var searchCandidates: Int
        public var seed: UInt64

        public init(links: Int = 16, buildCandidates: Int = 200, searchCandidates: Int = 128, seed: UInt64 = 100) {
            self.links = links
            self.buildCandidates = buildCandidates
            self.searchCandidates = searchCandidates
            self.seed = seed
        }
    }

    public let exact: DenseIndex
    public let parameters: Parameters
    private let handle: OpaquePointer

    public var count: Int { exact.count }

    /// Builds the graph over every row of `exact` (single-threaded, as hnswlib's insertion order fixes the graph).
    public init(_ exact: DenseIndex, parameters: Parameters = .init()) throws {
        self.exact = exact
        self.parameters = parameters
        var message = [CChar](repeating: 0, count: 256)
        guard let handle = vc_hnsw_create(exact.dimension, max(1, exact.count), parameters.links, parameters.buildCandidates,
                                          parameters.seed, &message, message.count)
        else { throw HNSWError.failed(Self.text(message)) }
        self.handle = handle
        let added = exact.matrix.withUnsafeBufferPointer { rows in
            vc_hnsw_add(handle, rows.baseAddress, exact.count, 0, &message, message.count)
        }
        guard added == 0 else {
            vc_hnsw_free(handle)
            throw HNSWError.failed(Self.text(message))
        }
        vc_hnsw_set_ef(handle, max(parameters.searchCandidates, 1))
    }

    /// Reads a graph saved by ``save(to:)`` for the same rows; fails when the file does not match them.
    public init(loading file: URL, exact: DenseIndex, parameters: Parameters = .init()) throws {
        self.exact = exact
        self.parameters = parameters
        var message = [CChar](repeating: 0, count: 256)
        guard let handle = vc_hnsw_load(file.path, exact.dimension, &message, message.count) else {
            throw HNSWError.failed(Self.text(message))
        }
        let saved = vc_hnsw_count(handle)
        guard saved == exact.count else {
            vc_hnsw_free(handle)
            throw HNSWError.mismatch(saved: saved, rows: exact.count)
        }
        self.handle = handle
        vc_hnsw_set_ef(handle, max(parameters.searchCandidates, 1))
    }

    deinit { vc_hnsw_free(handle) }

    /// The shim's NUL-terminated message.
    private static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Writes the graph to `file` atomically (a temporary file renamed over it).
    public func save(to file: URL) throws {
        let temporary = file.deletingLastPathComponent().appendingPathComponent(".\(file.lastPathComponent).\(UUID().uuidString)")
        var message = [CChar](repeating: 0, count: 256)
        guard vc_hnsw_save(handle, temporary.path, &message, message.count) == 0 else {
            try? FileManager.default.removeItem(at: temporary)
            throw HNSWError.failed(Self.text(message))
        }
        guard rename(temporary.path, file.path) == 0 else {
            try? FileManager.default.removeItem(at: temporary)
            throw HNSWError.failed("could not move the saved graph into place (errno \(errno))")
        }
    }

    /// The file name a graph of corpus `version` built with `parameters` is saved under.
    public static func fileName(version: String, parameters: Parameters) -> String {
        "hnsw-\(pathComponent(version))-m\(parameters.links)-ef\(parameters.buildCandidates)-s\(parameters.seed).bin"
    }

    /// `text` as one safe file or folder name: letters, digits and "-" kept, anything else "_".
    static func pathComponent(_ text: String) -> String {
        text.unicodeScalars.map { CharacterSet.alphanumerics.contains($0) || $0 == "-" ? String($0) : "_" }.joined()
    }

    /// Bytes the graph holds beside the exact index (its own copy of the vectors and its links).
    public var graphBytes: Int { vc_hnsw_memory_bytes(handle) }

    /// The `k` rows most similar to `query` by the graph, with the cosines exact search gives them.
    ///
    /// The graph holds the same f32 rows, so asking it for more than k candidates and re-ranking would change
    /// nothing but the time: its distances differ from the index's only in summation order. The re-scoring keeps
    /// scores bit-identical on both sides of ``DenseSearchPolicy/approximateFrom``.
    public func search(_ query: [Float], k: Int) throws -> [ScoredDocument] {
        guard query.count == exact.dimension else { throw DimensionMismatch(expected: exact.dimension, actual: query.count) }
        guard k > 0, exact.count > 0 else { return [] }
        let unit = DenseIndex.normalised(query)
        let wanted = min(exact.count, k)
        return withUnsafeTemporaryAllocation(of: Int64.self, capacity: wanted) { labels in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: wanted) { similarities in
                let found = unit.withUnsafeBufferPointer {
                    vc_hnsw_search(handle, $0.baseAddress, wanted, labels.baseAddress, similarities.baseAddress)
                }
                return exact.rescored(labels.prefix(found).lazy.map { Int($0) }, unit: unit, k: k)
            }
        }
    }

    /// An inner-product kernel the graph's distance can use.
    public enum Kernel: Int32, CaseIterable, Sendable {
        case scalar = 0, avx2 = 1, avx512 = 2

        /// The widest kernel this machine runs: the one every graph uses.
        public static var selected: Kernel { Kernel(rawValue: vc_hnsw_kernel()) ?? .scalar }

        /// `a` · `b` by this kernel, or nil when the machine cannot run it.
        public func innerProduct(_ a: [Float], _ b: [Float]) -> Float? {
            precondition(a.count == b.count, "vectors of different lengths")
            var result: Float = 0
            return vc_hnsw_dot(rawValue, a, b, a.count, &result) == 0 ? result : nil
        }
    }
}

/// An HNSW graph that could not be built, saved or read.
public enum HNSWError: Error, CustomStringConvertible, Equatable, Sendable {
    case failed(String)
    case mismatch(saved: Int, rows: Int)

    public var description: String {
        switch self {
        case .failed(let message): "HNSW graph: \(message)"
        case .mismatch(let saved, let rows): "the saved HNSW graph holds \(saved) vectors, the index \(rows)"
        }
    }
}
