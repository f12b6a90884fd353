import COpenBLAS
import Foundation

/// A linear model per topic over the phrasing embeddings (softmax regression), trained on the index's own phrasings:
/// each topic's weights start at its mean phrasing and move to separate its phrasings from the neighbouring topics',
/// so what two topics' phrasings share counts for less and what tells them apart for more.
struct TopicClassifier: Sendable {
    /// Training settings.
    struct Parameters: Sendable {
        /// The logits' scale (the inverse of a softmax temperature over cosine-like scores).
        var scale: Float = 20
        var learningRate: Float = 0.5
        /// Pull towards the starting (mean-phrasing) weights: the model stays near the centroids it improves on.
        var pull: Float = 1e-3
        var iterations = 100
        /// The most multiply-adds one pass over the phrasings may take (phrasings × topics × dimension); a larger
        /// index gets no model, and its classifier fusion falls back to the best phrasing.
        var maximumWork = 100_000_000
    }

    let groupCount: Int
    let dimension: Int
    /// groupCount × dimension, row-major.
    let weights: [Float]
    /// Per group, in the units of `weights · query` (the trained bias divided by the scale).
    let offsets: [Float]

    /// Trains on `dense`'s rows labelled by `unitGroups`, starting from each group's `centres` (its mean unit vector,
    /// normalised; groups × dimension, row-major); nil when there is nothing to learn (no dimension, fewer than two
    /// groups) or the index is past `parameters.maximumWork`.
    init?(dense: DenseIndex, unitGroups: [Int], centres: [Float], parameters: Parameters = Parameters()) {
        let (rows, dimension) = (dense.count, dense.dimension)
        let groupCount = dimension > 0 ? centres.count / dimension : 0
        guard dimension > 0, groupCount > 1, rows > 0, rows * groupCount * dimension <= parameters.maximumWork else {
            return nil
        }
        self.groupCount = groupCount
        self.dimension = dimension
        let start = centres
        var weights = centres
        var biases = [Float](repeating: 0, count: groupCount)
        var logits = [Float](repeating: 0, count: rows * groupCount)
        var gradient = [Float](repeating: 0, count: groupCount * dimension)
        let (scale, rate, pull) = (parameters.scale, parameters.learningRate, parameters.pull)
        let (n, c, d) = (Int32(rows), Int32(groupCount), Int32(dimension))
        for _ in 0..<parameters.iterations {
            dense.matrix.withUnsafeBufferPointer { x in
                weights.withUnsafeBufferPointer { w in
                    logits.withUnsafeMutableBufferPointer { z in
                        // Z (rows × groups) = scale · X (rows × dimension) · Wᵀ
                        cblas_sgemm(
                            CblasRowMajor, CblasNoTrans, CblasTrans, n, c, d, scale, x.baseAddress, d, w.baseAddress, d,
                            0, z.baseAddress, c)
                    }
                }
            }
            // Softmax minus the one-hot label: the cross-entropy's gradient with respect to the logits.
            var biasGradient = [Float](repeating: 0, count: groupCount)
            for row in 0..<rows {
                let base = row * groupCount
                var largest = -Float.infinity
                for group in 0..<groupCount {
                    logits[base + group] += biases[group]
                    largest = max(largest, logits[base + group])
                }
                var sum: Float = 0
                for group in 0..<groupCount {
                    let value = exp(logits[base + group] - largest)
                    logits[base + group] = value
                    sum += value
                }
                for group in 0..<groupCount { logits[base + group] /= sum }
                logits[base + unitGroups[row]] -= 1
                for group in 0..<groupCount { biasGradient[group] += logits[base + group] }
            }
            dense.matrix.withUnsafeBufferPointer { x in
                logits.withUnsafeBufferPointer { e in
                    gradient.withUnsafeMutableBufferPointer { g in
                        // G (groups × dimension) = scale / rows · Eᵀ (groups × rows) · X
                        cblas_sgemm(
                            CblasRowMajor, CblasTrans, CblasNoTrans, c, d, n, scale / Float(rows), e.baseAddress, c,
                            x.baseAddress, d, 0, g.baseAddress, d)
                    }
                }
            }
            for index in weights.indices {
                weights[index] -= rate * (gradient[index] + pull * (weights[index] - start[index]))
            }
            for group in 0..<groupCount { biases[group] -= rate * biasGradient[group] / Float(rows) }
        }
        self.weights = weights
        offsets = biases.map { $0 / scale }
    }

    /// Each group's score for a unit-length query vector: its weights' dot product with it plus its offset.
    func scores(unit query: [Float]) -> [Float] {
        var result = offsets
        weights.withUnsafeBufferPointer { w in
            query.withUnsafeBufferPointer { x in
                result.withUnsafeMutableBufferPointer { y in
                    cblas_sgemv(
                        CblasRowMajor, CblasNoTrans, Int32(groupCount), Int32(dimension), 1, w.baseAddress,
                        Int32(dimension), x.baseAddress, 1, 1, y.baseAddress, 1)
                }
            }
        }
        return result
    }
}
