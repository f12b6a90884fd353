import CVectorKernels
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

    /// The regularised, class-weighted log-loss divided by C · Σ wᵢ (the same minimum, on a scale near 1), over the
    /// examples packed once as compressed rows for the C kernel.
    struct Objective {
        let classes: Int
        let dimension: Int
        let offsets: [Int64]
        let indices: [Int32]
        let values: [Float]
        let labels: [Int32]
        let exampleWeights: [Double]
        let penalty: Double

        init(examples: [(features: SparseVector, label: Int)], classes: Int, dimension: Int, classWeight: [Double], inverseRegularisation: Double) {
            self.classes = classes
            self.dimension = dimension
            let totalWeight = max(examples.reduce(0) { $0 + classWeight[$1.label] }, 1e-12)
            penalty = 1 / (inverseRegularisation * totalWeight)
            var offsets: [Int64] = [0]
            var indices: [Int32] = []
            var values: [Float] = []
            for example in examples {
                indices += example.features.indices
                values += example.features.values
                offsets.append(Int64(indices.count))
            }
            self.offsets = offsets
            self.indices = indices
            self.values = values
            labels = examples.map { Int32($0.label) }
            exampleWeights = examples.map { classWeight[$0.label] / totalWeight }
        }

        func evaluate(_ point: [Float], gradient: inout [Float]) -> Double {
            precondition(point.count == dimension * classes + classes && gradient.count == point.count)
            return gradient.withUnsafeMutableBufferPointer { gradient in
                vc_softmax_objective(
                    point, gradient.baseAddress, classes, dimension, labels.count, offsets, indices, values, labels, exampleWeights, penalty)
            }
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
        let count = start.count
        func dot(_ a: [Float], _ b: [Float]) -> Double { vc_dot_f32(a, b, count) }
        func axpy(_ y: inout [Float], _ alpha: Float, _ x: [Float]) { vc_axpy_f32(&y, alpha, x, count) }
        while iteration < maximumIterations {
            guard vc_max_abs_f32(gradient, count) > tolerance else { break }
            iteration += 1
            // Two-loop recursion: direction = −H·g.
            var direction = gradient
            var alphas = [Double](repeating: 0, count: steps.count)
            for index in steps.indices.reversed() {
                alphas[index] = curvatures[index] * dot(steps[index], direction)
                axpy(&direction, -Float(alphas[index]), changes[index])
            }
            if let lastStep = steps.last, let lastChange = changes.last {
                vc_scale_f32(&direction, Float(dot(lastStep, lastChange) / max(dot(lastChange, lastChange), 1e-300)), count)
            } else {
                let norm = Float(max(dot(gradient, gradient).squareRoot(), 1e-12))
                direction = direction.map { $0 / norm }
            }
            for index in steps.indices {
                let beta = curvatures[index] * dot(changes[index], direction)
                axpy(&direction, Float(alphas[index] - beta), steps[index])
            }
            vc_scale_f32(&direction, -1, count)
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
                candidate = point
                axpy(&candidate, stepSize, direction)
                candidateValue = evaluate(candidate, &candidateGradient)
                if candidateValue <= value + 1e-4 * Double(stepSize) * slope {
                    accepted = true
                    break
                }
                stepSize /= 2
            }
            guard accepted else { break }
            var step = [Float](repeating: 0, count: count)
            var change = [Float](repeating: 0, count: count)
            vc_subtract_f32(&step, candidate, point, count)
            vc_subtract_f32(&change, candidateGradient, gradient, count)
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
