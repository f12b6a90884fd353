import Foundation
import Testing
import VividCrowdCore
import VividCrowdEvaluation

@Suite struct TFIDFVectorizerTests {
    @Test func wordNGramsAreHashedAndTheVectorIsUnitLength() {
        let vectorizer = TFIDFVectorizer(
            fitting: ["the price is high", "the price is fair"], analyzer: .words(1...2), sublinearTF: false, minimumDocumentFrequency: 1)
        // the, price, is, high, fair + the price, price is, is high, is fair
        #expect(vectorizer.dimension == 9)
        let vector = vectorizer.transform("The price is HIGH, the price!")
        #expect(vector.indices == vector.indices.sorted())
        let norm = vector.values.reduce(0) { $0 + $1 * $1 }
        #expect(abs(norm - 1) < 1e-5)
        #expect(vectorizer.transform("nothing known here").indices.isEmpty)
    }

    @Test func termsInFewerTextsThanTheMinimumAreDropped() {
        let vectorizer = TFIDFVectorizer(
            fitting: ["budget budget", "budget approval", "timeline"], analyzer: .words(1...1), sublinearTF: true, minimumDocumentFrequency: 2)
        #expect(vectorizer.dimension == 1)
        #expect(vectorizer.transform("approval timeline").indices.isEmpty)
    }

    @Test func chineseTextGivesCharacterTermsAndCharacterNGramsStayWithinWords() {
        let words = TFIDFVectorizer(fitting: ["价格太贵了"], analyzer: .words(1...1), sublinearTF: false, minimumDocumentFrequency: 1)
        #expect(words.dimension == 5)
        let characters = TFIDFVectorizer(fitting: ["ab cd"], analyzer: .characters(2...2), sublinearTF: false, minimumDocumentFrequency: 1)
        // " a", "ab", "b ", " c", "cd", "d " — never "b c" across the space.
        #expect(characters.dimension == 6)
    }
}

@Suite struct SoftmaxRegressionTests {
    @Test func separableClassesAreLearnedAndRefittingGivesTheSameModel() {
        let examples = (0..<60).map { index in
            (features: SparseVector(indices: [Int32(index % 3)], values: [1]), label: index % 3)
        }
        let model = SoftmaxRegression(fitting: examples, classes: 3, dimension: 3)
        for label in 0..<3 {
            let probabilities = model.probabilities(SparseVector(indices: [Int32(label)], values: [1]))
            #expect(probabilities.indices.max { probabilities[$0] < probabilities[$1] } == label)
            #expect(probabilities[label] > 0.8)
        }
        let again = SoftmaxRegression(fitting: examples, classes: 3, dimension: 3)
        #expect(again.probabilities(SparseVector(indices: [1], values: [1])) == model.probabilities(SparseVector(indices: [1], values: [1])))
    }
}

@Suite struct StageDetectorTests {
    /// The same reply is objection handling after an objection and value presentation after interest.
    static let examples: [StageExample] = (0..<12).flatMap { round -> [StageExample] in
        [
            StageExample(text: "Hello, how are you today?", previous: "", stage: .trustAndRapport),
            StageExample(text: "What do you need most for your team?", previous: "I'm fine thanks", stage: .needsDiagnosis),
            StageExample(text: "Let me explain what it does for you", previous: "That sounds interesting, tell me more", stage: .valuePresentation),
            StageExample(text: "Let me explain what it does for you", previous: "It is far too expensive, I disagree", stage: .objectionHandling),
            StageExample(text: "Shall we sign the order this week?", previous: "Okay that works", stage: .closing),
        ]
    }

    @Test func theTurnBeforeTellsObjectionHandlingFromValuePresentation() {
        let detector = StageDetector(training: Self.examples)
        #expect(detector.predict("Let me explain what it does for you", previous: "It is far too expensive, I disagree").stage == .objectionHandling)
        #expect(detector.predict("Let me explain what it does for you", previous: "That sounds interesting, tell me more").stage == .valuePresentation)
        #expect(detector.predict("Hello, how are you?").stage == .trustAndRapport)
        #expect(detector.predict("Shall we sign the order?", previous: "Okay").stage == .closing)
        let probabilities = detector.predict("What do you need?").probabilities
        #expect(abs(probabilities.reduce(0, +) - 1) < 1e-6)
        // Without the previous turn the two are the same text: the baseline cannot tell them apart.
        let baseline = StageDetector(training: Self.examples, configuration: .baseline)
        #expect(baseline.predict("Let me explain what it does for you", previous: "It is far too expensive, I disagree").stage
            == baseline.predict("Let me explain what it does for you", previous: "That sounds interesting, tell me more").stage)
    }
}

@Suite struct StageBenchmarkTests {
    private func write(_ lines: [String]) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("stages-\(UUID().uuidString)_turns.jsonl")
        try lines.joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    private func turn(_ dialogue: String, _ number: Int, role: String, text: String, stage: Int?, source: String? = "label") -> String {
        let stageText = stage.map(String.init) ?? "null"
        let sourceText = source.map { "\"\($0)\"" } ?? "null"
        return #"{"dialogue_id": "\#(dialogue)", "turn": \#(number), "speaker": "s", "role": "\#(role)", "text": "\#(text)", "stage": \#(stageText), "stage_source": \#(sourceText)}"#
    }

    @Test func sellerTurnsWithAStageAreScoredAndDealActionsAreNeitherTurnsNorContext() throws {
        let url = try write([
            turn("d1", 0, role: "seller", text: "Hi there", stage: 1),
            turn("d1", 1, role: "buyer", text: "Too pricey", stage: nil, source: nil),
            turn("d1", 2, role: "seller", text: "Submit-Deal", stage: 5, source: "deal_action"),
            turn("d1", 3, role: "seller", text: "I hear you", stage: 4),
            turn("d1", 4, role: "seller", text: "ok", stage: nil, source: nil),
        ])
        let file = try SalesTurnsFile.load(url)
        #expect(file.turns.map(\.example.text) == ["Hi there", "I hear you"])
        #expect(file.turns.map(\.example.previous) == ["", "Too pricey"])
        #expect(file.name.hasPrefix("stages-"))
    }

    @Test func aStageOutsideOneToFiveOrAFileWithoutLabelsIsAClearError() throws {
        let bad = try write([turn("d9", 3, role: "seller", text: "hi", stage: 7)])
        #expect(throws: SalesTurnsError.self) { try SalesTurnsFile.load(bad) }
        do {
            _ = try SalesTurnsFile.load(bad)
        } catch {
            #expect("\(error)".contains("dialogue d9 turn 3 has stage 7"))
        }
        let empty = try write([turn("d1", 0, role: "buyer", text: "hi", stage: nil, source: nil)])
        #expect(throws: SalesTurnsError.self) { try SalesTurnsFile.load(empty) }
    }

    @Test func aTrainingDialogueIsNeverPredictedByAModelThatSawIt() throws {
        // Each dialogue's only word is its own, so a model that saw the dialogue knows its stage and one that did not
        // cannot: cross-validated accuracy stays low while the same texts under new dialogue ids score perfectly.
        let lines = (0..<20).map { turn("d\($0)", 0, role: "seller", text: "word\($0) word\($0)", stage: $0 % 5 + 1) }
        let training = try SalesTurnsFile.load(try write(lines))
        let benchmark = StageBenchmark(training: [training], folds: 5)
        let configuration = StageDetector.Configuration.baseline
        let crossValidated = benchmark.predictions(for: training, configuration: configuration).map(\.stage)
        let gold = training.turns.map(\.example.stage)
        #expect(StageScores(gold: gold, predicted: crossValidated).accuracy < 0.5)
        let renamed = try SalesTurnsFile.load(try write((0..<20).map { turn("other\($0)", 0, role: "seller", text: "word\($0) word\($0)", stage: $0 % 5 + 1) }))
        let full = benchmark.predictions(for: renamed, configuration: configuration).map(\.stage)
        #expect(StageScores(gold: gold, predicted: full).accuracy == 1)
    }

    @Test func scoresFollowTheConfusionMatrix() {
        let scores = StageScores(
            gold: [.trustAndRapport, .trustAndRapport, .closing, .closing],
            predicted: [.trustAndRapport, .closing, .closing, .closing])
        #expect(scores.accuracy == 0.75)
        #expect(scores.perStageF1 == ["1": 2.0 / 3.0, "5": 0.8])
        #expect(abs(scores.macroF1 - (2.0 / 3.0 + 0.8) / 2) < 1e-12)
        #expect(scores.confusion[0][4] == 1)
        let auc = StageScores.outcomeAUC(
            dialogues: ["a", "a", "b"], predicted: [.trustAndRapport, .closing, .trustAndRapport], succeeded: ["a": true, "b": false])
        #expect(auc == 1)
    }
}
