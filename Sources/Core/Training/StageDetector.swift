import Foundation

/// One labelled seller turn: what the seller said, what the other side said just before, and its stage.
public struct StageExample: Sendable, Equatable {
    public var text: String
    /// The turn just before, usually the customer's; an objection there is what makes a reply objection handling.
    public var previous: String
    public var stage: SalesStage

    public init(text: String, previous: String, stage: SalesStage) {
        self.text = text
        self.previous = previous
        self.stage = stage
    }
}

/// The stage a detector gives a turn, with its probability for every stage.
public struct StagePrediction: Sendable, Equatable {
    public var stage: SalesStage
    /// Indexed by `SalesStage.rawValue - 1`.
    public var probabilities: [Double]
    /// How many of the turn's own terms the detector knows; with none, the probabilities are only its priors.
    public var knownTerms: Int
}

/// Tells the sales stage of a seller's turn without an LLM: TF-IDF features of the turn (words and characters) and
/// of the turn before it, and a softmax regression trained on labelled dialogues. The fast path of the stage
/// controller, and its fallback when the judge fails.
public struct StageDetector: Sendable {
    /// Which features and training a detector uses.
    public struct Configuration: Sendable, Hashable {
        /// Word n-gram lengths of the turn.
        public var words: ClosedRange<Int>
        /// Character n-gram lengths of the turn; nil for none.
        public var characters: ClosedRange<Int>?
        /// Whether the turn before (its words) is a feature block.
        public var usesPreviousTurn: Bool
        public var sublinearTF: Bool
        public var minimumDocumentFrequency: Int
        public var training: SoftmaxRegression.Training

        public init(
            words: ClosedRange<Int>, characters: ClosedRange<Int>?, usesPreviousTurn: Bool, sublinearTF: Bool,
            minimumDocumentFrequency: Int, training: SoftmaxRegression.Training
        ) {
            self.words = words
            self.characters = characters
            self.usesPreviousTurn = usesPreviousTurn
            self.sublinearTF = sublinearTF
            self.minimumDocumentFrequency = minimumDocumentFrequency
            self.training = training
        }

        /// The detector: word uni- and bigrams, character 2–5-grams, the previous turn's words, balanced classes.
        public static let contextual = Configuration(
            words: 1...2, characters: 2...5, usesPreviousTurn: true, sublinearTF: true, minimumDocumentFrequency: 2,
            training: SoftmaxRegression.Training())

        /// The reference it must beat: TF-IDF of the turn's words and a plain logistic regression (scikit-learn's
        /// `TfidfVectorizer()` and `LogisticRegression()` defaults).
        public static let baseline = Configuration(
            words: 1...1, characters: nil, usesPreviousTurn: false, sublinearTF: false, minimumDocumentFrequency: 1,
            training: SoftmaxRegression.Training(balancedClasses: false))
    }

    public let configuration: Configuration
    private let blocks: [(vectorizer: TFIDFVectorizer, previous: Bool, offset: Int32)]
    private let model: SoftmaxRegression

    /// Trains a detector on `examples`.
    public init(training examples: [StageExample], configuration: Configuration = .contextual) {
        self.configuration = configuration
        var blocks: [(TFIDFVectorizer, Bool, Int32)] = []
        var offset: Int32 = 0
        func add(_ analyzer: TFIDFVectorizer.Analyzer, previous: Bool) {
            let vectorizer = TFIDFVectorizer(
                fitting: examples.map { previous ? $0.previous : $0.text }, analyzer: analyzer,
                sublinearTF: configuration.sublinearTF, minimumDocumentFrequency: configuration.minimumDocumentFrequency)
            blocks.append((vectorizer, previous, offset))
            offset += Int32(vectorizer.dimension)
        }
        add(.words(configuration.words), previous: false)
        if let characters = configuration.characters { add(.characters(characters), previous: false) }
        if configuration.usesPreviousTurn { add(.words(configuration.words), previous: true) }
        self.blocks = blocks
        let features = examples.map { example in
            (features: Self.features(blocks, text: example.text, previous: example.previous).0, label: example.stage.rawValue - 1)
        }
        model = SoftmaxRegression(
            fitting: features, classes: SalesStage.allCases.count, dimension: Int(offset), training: configuration.training)
    }

    /// The stage of a seller's `text`, said after `previous`.
    public func predict(_ text: String, previous: String = "") -> StagePrediction {
        let (features, known) = Self.features(blocks, text: text, previous: previous)
        let probabilities = model.probabilities(features).map(Double.init)
        let best = probabilities.indices.max { probabilities[$0] < probabilities[$1] } ?? 0
        return StagePrediction(stage: SalesStage(rawValue: best + 1)!, probabilities: probabilities, knownTerms: known)
    }

    /// The turn's features across the blocks, and how many of them come from the turn itself (not the one before).
    private static func features(
        _ blocks: [(vectorizer: TFIDFVectorizer, previous: Bool, offset: Int32)], text: String, previous: String
    ) -> (SparseVector, knownTerms: Int) {
        var combined = SparseVector()
        var known = 0
        for block in blocks {
            let part = block.vectorizer.transform(block.previous ? previous : text).shifted(by: block.offset)
            combined.indices += part.indices
            combined.values += part.values
            if !block.previous { known += part.indices.count }
        }
        return (combined, known)
    }
}
