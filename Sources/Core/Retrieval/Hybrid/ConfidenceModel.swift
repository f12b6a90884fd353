import Foundation

/// A logistic model of "the top-ranked topic is right", over features of the top two candidates.
public struct ConfidenceModel: Sendable, Hashable, Codable {
    public static let featureNames = [
        "fused_top1", "fused_margin", "cosine_top1", "cosine_margin", "bm25_top1", "cosine_z_top1", "methods_agree",
    ]

    /// Features whose values do not depend on the embedding model's similarity range: a model fitted on them alone
    /// carries over to another model (the shipped default is fitted so).
    public static let scaleFreeFeatures: Set<String> = [
        "fused_top1", "fused_margin", "bm25_top1", "cosine_z_top1", "methods_agree",
    ]

    public var means: [Double]
    public var scales: [Double]
    /// Bias first, then one weight per feature (on standardised features).
    public var weights: [Double]

    public init(means: [Double], scales: [Double], weights: [Double]) {
        self.means = means
        self.scales = scales
        self.weights = weights
    }

    /// Decodes a stored model, refusing one fitted on a different feature set (an older version's calibration).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        means = try container.decode([Double].self, forKey: .means)
        scales = try container.decode([Double].self, forKey: .scales)
        weights = try container.decode([Double].self, forKey: .weights)
        let count = Self.featureNames.count
        guard means.count == count, scales.count == count, weights.count == count + 1 else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: container.codingPath,
                debugDescription: "a confidence model over \(means.count) features, but this version uses \(count) "
                    + "(\(Self.featureNames.joined(separator: ", "))): run calibrate-kb again"))
        }
    }

    /// The features of a ranking.
    public static func features(_ candidates: [GroupCandidate]) -> [Double] {
        guard let first = candidates.first else { return [Double](repeating: 0, count: featureNames.count) }
        let second = candidates.dropFirst().first
        return [
            Double(first.fused), Double(first.fused - (second?.fused ?? 0)), Double(first.cosine),
            Double(first.cosine - (second?.cosine ?? 0)), Double(first.bm25Normalised), Double(first.cosineZ),
            methodsAgree(candidates) ? 1 : 0,
        ]
    }

    /// Whether the top candidate also has the best cosine and the best BM25 among the candidates: two retrievers
    /// that fail differently rarely agree on the same wrong topic.
    static func methodsAgree(_ candidates: [GroupCandidate]) -> Bool {
        guard let first = candidates.first, first.bm25 > 0 else { return false }
        return candidates.allSatisfy { $0.cosine <= first.cosine && $0.bm25 <= first.bm25 }
    }

    /// The probability that the top candidate is right.
    public func probability(_ candidates: [GroupCandidate]) -> Double {
        guard !candidates.isEmpty else { return 0 }
        return probability(features: Self.features(candidates))
    }

    /// The probability for precomputed features.
    public func probability(features: [Double]) -> Double {
        var z = weights[0]
        for index in features.indices {
            z += weights[index + 1] * (features[index] - means[index]) / scales[index]
        }
        return 1 / (1 + exp(-z))
    }

    /// Fits by Newton's method (iteratively reweighted least squares) with a small L2 penalty.
    /// Only the features named in `using` get a weight (the others are held at 0).
    public static func fit(
        features rawFeatures: [[Double]], labels: [Bool], using: Set<String>? = nil, l2: Double = 1e-2,
        iterations: Int = 25
    ) -> ConfidenceModel {
        let dimension = featureNames.count
        let unused = featureNames.indices.filter { index in using.map { !$0.contains(featureNames[index]) } ?? false }
        // A column of zeros standardises to zeros, so its weight never moves from 0.
        let features = unused.isEmpty ? rawFeatures : rawFeatures.map { row in
            var row = row
            for index in unused { row[index] = 0 }
            return row
        }
        var means = [Double](repeating: 0, count: dimension)
        var scales = [Double](repeating: 1, count: dimension)
        if !features.isEmpty {
            for index in 0..<dimension {
                let column = features.map { $0[index] }
                let mean = column.reduce(0, +) / Double(column.count)
                let variance = column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(column.count)
                means[index] = mean
                scales[index] = variance > 1e-12 ? variance.squareRoot() : 1
            }
        }
        let rows = features.map { row in [1.0] + row.indices.map { (row[$0] - means[$0]) / scales[$0] } }
        var weights = [Double](repeating: 0, count: dimension + 1)
        for _ in 0..<iterations {
            var gradient = [Double](repeating: 0, count: dimension + 1)
            var hessian = [[Double]](repeating: [Double](repeating: 0, count: dimension + 1), count: dimension + 1)
            for (row, label) in zip(rows, labels) {
                let z = zip(row, weights).reduce(0) { $0 + $1.0 * $1.1 }
                let p = 1 / (1 + exp(-z))
                let error = p - (label ? 1 : 0)
                let curvature = max(p * (1 - p), 1e-9)
                for i in row.indices {
                    gradient[i] += error * row[i]
                    for j in row.indices { hessian[i][j] += curvature * row[i] * row[j] }
                }
            }
            for i in 1...dimension {
                gradient[i] += l2 * weights[i]
                hessian[i][i] += l2
            }
            hessian[0][0] += 1e-9
            guard let step = solve(hessian, gradient) else { break }
            for i in weights.indices { weights[i] -= step[i] }
            if step.map(abs).max() ?? 0 < 1e-8 { break }
        }
        return ConfidenceModel(means: means, scales: scales, weights: weights)
    }

    /// Solves a small dense linear system by Gaussian elimination with partial pivoting.
    static func solve(_ matrix: [[Double]], _ vector: [Double]) -> [Double]? {
        var a = matrix
        var b = vector
        let n = b.count
        for column in 0..<n {
            guard let pivot = (column..<n).max(by: { abs(a[$0][column]) < abs(a[$1][column]) }),
                abs(a[pivot][column]) > 1e-15
            else { return nil }
            a.swapAt(column, pivot)
            b.swapAt(column, pivot)
            for row in (column + 1)..<n {
                let factor = a[row][column] / a[column][column]
                for k in column..<n { a[row][k] -= factor * a[column][k] }
                b[row] -= factor * b[column]
            }
        }
        var x = [Double](repeating: 0, count: n)
        for row in stride(from: n - 1, through: 0, by: -1) {
            var sum = b[row]
            for k in (row + 1)..<n { sum -= a[row][k] * x[k] }
            x[row] = sum / a[row][row]
        }
        return x
    }
}
