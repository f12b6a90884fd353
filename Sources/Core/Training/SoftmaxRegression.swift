import Foundation

/// Multinomial logistic regression over sparse features with L2 regularisation and optional class weights, fitted
/// to convergence by L-BFGS: the same objective as scikit-learn's `LogisticRegression` (C · Σ wᵢ · log-loss +
/// ½‖W‖², the intercepts unpenalised), so a baseline built on it is the baseline that library gives.
public struct SoftmaxRegression: Sendable {
    /// How the model is fitted.
    public struct Training: Sendable, Hashable {
        /// Inverse regularisation strength C, as in scikit-learn.
        public var inverseRegularisation: Double
        /// Weight each class by n / (classes · n_class), so rare classes count as much as common ones.
        public var balancedClasses: Bool
        public var maximumIterations: Int
        /// Converged when the largest gradient component falls below this.
        public var tolerance: Double

        public init(inverseRegularisation: Double = 1, balancedClasses: Bool = true, maximumIterations: Int = 300, tolerance: Double = 1e-5) {
            self.inverseRegularisation = inverseRegularisation
            self.balancedClasses = balancedClasses
            self.maximumIterations = maximumIterations
            self.tolerance = tolerance
        }
    }

    public let classes: Int
    public let dimension: Int
    /// Row-major weights (feature j's are `parameters[j * classes ..< (j + 1) * classes]`), then the intercepts.
    private let parameters: [Float]
    /// Iterations the fit took.
    public let iterations: Int

    /// Fits a model of `classes` classes (labels 0..<classes) to `examples`.
    public init(fitting examples: [(features: SparseVector, label: Int)], classes: Int, dimension: Int, training: Training = Training()) {
        self.classes = classes
        self.dimension = dimension
        var counts = [Int](repeating: 0, count: classes)
        for example in examples { counts[example.label] += 1 }
        let classWeight = counts.map { count -> Double in
            guard training.balancedClasses, count > 0 else { return 1 }
            return Double(examples.count) / Double(classes * count)
        }
        let objective = Objective(
            examples: examples, classes: classes, dimension: dimension, classWeight: classWeight, inverseRegularisation: training.inverseRegularisation)
        let fitted = LBFGS.minimise(
            start: [Float](repeating: 0, count: dimension * classes + classes), maximumIterations: training.maximumIterations,
            tolerance: training.tolerance, evaluate: objective.evaluate)
        parameters = fitted.point
        iterations = fitted.iterations
    }

    /// The class probabilities of `features`.
    public func probabilities(_ features: SparseVector) -> [Float] {
        var values = [Double](repeating: 0, count: classes)
        Self.scores(features, parameters: parameters, classes: classes, dimension: dimension, into: &values)
        Self.softmax(&values)
        return values.map(Float.init)
    }

    static func scores(_ features: SparseVector, parameters: [Float], classes: Int, dimension: Int, into values: inout [Double]) {
        let interceptStart = dimension * classes
        for k in 0..<classes { values[k] = Double(parameters[interceptStart + k]) }
        for (index, value) in zip(features.indices, features.values) where Int(index) < dimension {
            let row = Int(index) * classes
            for k in 0..<classes { values[k] += Double(parameters[row + k]) * Double(value) }
        }
    }

    static func softmax(_ values: inout [Double]) {
        let top = values.max() ?? 0
        var total = 0.0
        for k in values.indices {
            values[k] = exp(values[k] - top)
            total += values[k]
        }
        for k in values.indices { values[k] /= total }
    }

    /// The regularised, class-weighted log-loss divided by C · Σ wᵢ (the same minimum, on a scale near 1).
    struct Objective {
        let examples: [(features: SparseVector, label: Int)]
        let classes: Int
        let dimension: Int
        let classWeight: [Double]
        let inverseRegularisation: Double

        func evaluate(_ point: [Float], gradient: inout [Float]) -> Double {
            let totalWeight = max(examples.reduce(0) { $0 + classWeight[$1.label] }, 1e-12)
            let penalty = 1 / (inverseRegularisation * totalWeight)
            let weightCount = dimension * classes
            var loss = 0.0
            for index in 0..<weightCount {
                loss += 0.5 * penalty * Double(point[index]) * Double(point[index])
                gradient[index] = Float(penalty * Double(point[index]))
            }
            for k in 0..<classes { gradient[weightCount + k] = 0 }
            var probabilities = [Double](repeating: 0, count: classes)
            for (features, label) in examples {
                SoftmaxRegression.scores(features, parameters: point, classes: classes, dimension: dimension, into: &probabilities)
                SoftmaxRegression.softmax(&probabilities)
                let weight = classWeight[label] / totalWeight
                loss -= weight * log(max(probabilities[label], 1e-300))
                for k in 0..<classes {
                    let residual = Float(weight * (probabilities[k] - (k == label ? 1 : 0)))
                    gradient[weightCount + k] += residual
                    for (index, value) in zip(features.indices, features.values) where Int(index) < dimension {
                        gradient[Int(index) * classes + k] += residual * value
                    }
                }
            }
            return loss
        }
    }
}

/// Limited-memory BFGS with a backtracking (Armijo) line search.
enum LBFGS {
    static func minimise(
        start: [Float], maximumIterations: Int, tolerance: Double, memory: Int = 8,
        evaluate: ([Float], inout [Float]) -> Double
    ) -> (point: [Float], iterations: Int) {
        var point = start
        var gradient = [Float](repeating: 0, count: start.count)
        var value = evaluate(point, &gradient)
        var steps: [[Float]] = []
        var changes: [[Float]] = []
        var curvatures: [Double] = []
        var iteration = 0
        func dot(_ a: [Float], _ b: [Float]) -> Double {
            var total = 0.0
            for index in a.indices { total += Double(a[index]) * Double(b[index]) }
            return total
        }
        while iteration < maximumIterations {
            guard (gradient.map { abs(Double($0)) }.max() ?? 0) > tolerance else { break }
            iteration += 1
            // Two-loop recursion: direction = −H·g.
            var direction = gradient
            var alphas = [Double](repeating: 0, count: steps.count)
            for index in steps.indices.reversed() {
                alphas[index] = curvatures[index] * dot(steps[index], direction)
                let alpha = Float(alphas[index])
                for j in direction.indices { direction[j] -= alpha * changes[index][j] }
            }
            if let lastStep = steps.last, let lastChange = changes.last {
                let scale = Float(dot(lastStep, lastChange) / max(dot(lastChange, lastChange), 1e-300))
                for j in direction.indices { direction[j] *= scale }
            } else {
                let norm = Float(max(dot(gradient, gradient).squareRoot(), 1e-12))
                for j in direction.indices { direction[j] /= norm }
            }
            for index in steps.indices {
                let beta = curvatures[index] * dot(changes[index], direction)
                let coefficient = Float(alphas[index] - beta)
                for j in direction.indices { direction[j] += coefficient * steps[index][j] }
            }
            for j in direction.indices { direction[j] = -direction[j] }
            var slope = dot(gradient, direction)
            if slope >= 0 {
                // Not a descent direction: restart from steepest descent.
                steps.removeAll()
                changes.removeAll()
                curvatures.removeAll()
                direction = gradient.map { -$0 }
                slope = dot(gradient, direction)
            }
            var stepSize: Float = 1
            var candidate = point
            var candidateGradient = gradient
            var candidateValue = value
            var accepted = false
            for _ in 0..<40 {
                for j in point.indices { candidate[j] = point[j] + stepSize * direction[j] }
                candidateValue = evaluate(candidate, &candidateGradient)
                if candidateValue <= value + 1e-4 * Double(stepSize) * slope {
                    accepted = true
                    break
                }
                stepSize /= 2
            }
            guard accepted else { break }
            var step = [Float](repeating: 0, count: point.count)
            var change = [Float](repeating: 0, count: point.count)
            for j in point.indices {
                step[j] = candidate[j] - point[j]
                change[j] = candidateGradient[j] - gradient[j]
            }
            let curvature = dot(step, change)
            if curvature > 1e-12 {
                steps.append(step)
                changes.append(change)
                curvatures.append(1 / curvature)
                if steps.count > memory {
                    steps.removeFirst()
                    changes.removeFirst()
                    curvatures.removeFirst()
                }
            }
            let improvement = value - candidateValue
            point = candidate
            gradient = candidateGradient
            value = candidateValue
            if improvement < 1e-10 * max(1, abs(value)) { break }
        }
        return (point, iteration)
    }
}
