import Foundation
import Testing
@testable import VividCrowdCore
import VividCrowdTesting

/// A tiny knowledge base with hand-made 3-d vectors: each topic points along its own axis.
private func makeRetriever() throws -> (HybridIndex, SearchTokenizer) {
    let tokenizer = SearchTokenizer(segmenter: sharedSegmenter)
    let entries = [
        KnowledgeEntry(line: 2, questionCount: 1, topicName: "refund", phrasings: ["how do I get a refund"], standardScript: "Refunds take 7 days.", riskNotes: ""),
        KnowledgeEntry(line: 3, questionCount: 1, topicName: "refund", phrasings: ["money back for my order"], standardScript: "Refunds take 7 days.", riskNotes: ""),
        KnowledgeEntry(line: 4, questionCount: 1, topicName: "shipping", phrasings: ["when will my parcel ship", "delivery time"], standardScript: "Ships in 2 days.", riskNotes: ""),
        KnowledgeEntry(line: 5, questionCount: 1, topicName: "password", phrasings: ["reset my password"], standardScript: "Use the reset link.", riskNotes: ""),
    ]
    let vectors: [[Float]] = [[1, 0.1, 0], [0.9, 0.2, 0], [0, 1, 0.1], [0.1, 0.9, 0], [0, 0.1, 1]]
    let phrasings = KnowledgeEntry.phrasings(of: entries)
    return (try HybridIndex(units: KnowledgeEntry.retrievalUnits(of: entries), unitTerms: phrasings.map(tokenizer.terms), unitVectors: vectors), tokenizer)
}

@Suite("Hybrid retrieval")
struct HybridRetrievalTests {
    @Test("phrasings collapse to topics, and the best phrasing's entry is reported")
    func collapse() throws {
        let (retriever, tokenizer) = try makeRetriever()
        let ranking = try retriever.rank(terms: tokenizer.terms("money back please"), vector: [0.9, 0.2, 0], fusion: .zScore(weight: 0.5))
        #expect(ranking.map(\.group) == ["refund", "shipping", "password"])
        #expect(ranking[0].record == 1)
        #expect(Set(ranking.map(\.group)).count == ranking.count)
    }

    @Test("BM25 and dense can each carry a query the other misses")
    func methods() throws {
        let (retriever, tokenizer) = try makeRetriever()
        // Words point at password, the vector at shipping.
        let terms = tokenizer.terms("reset password")
        let vector: [Float] = [0, 1, 0]
        #expect(try retriever.rank(terms: terms, vector: vector, fusion: .bm25).first?.group == "password")
        #expect(try retriever.rank(terms: terms, vector: vector, fusion: .dense).first?.group == "shipping")
    }

    @Test("the original formula gives every query's top BM25 candidate the full BM25 weight")
    func originalFormulaSaturates() throws {
        let (retriever, tokenizer) = try makeRetriever()
        for query in ["refund", "parcel", "password reset now"] {
            let top = try retriever.rank(terms: tokenizer.terms(query), vector: [0.3, 0.3, 0.3], fusion: .vividcrowd(bm25Weight: 0.6, embeddingWeight: 0.4))
            let lexicalPart = top.first.map { Double($0.fused) - 0.4 * (Double($0.cosine) + 1) / 2 }
            #expect(abs((lexicalPart ?? 0) - 0.6) < 1e-5, "\(query)")
        }
    }

    @Test("a logistic fit separates right from wrong rankings")
    func confidenceFit() {
        var generator = SeededGenerator(seed: 5)
        var features: [[Double]] = []
        var labels: [Bool] = []
        for _ in 0..<400 {
            let right = Bool.random(using: &generator)
            let margin = (right ? 0.3 : 0.05) + Double.random(in: -0.05...0.05, using: &generator)
            features.append([margin + 0.5, margin, 0.8, margin / 2, 0.5, margin * 4, 0])
            labels.append(right)
        }
        let model = ConfidenceModel.fit(features: features, labels: labels)
        let sure = model.probability(features: [0.8, 0.3, 0.8, 0.15, 0.5, 1.2, 0])
        let unsure = model.probability(features: [0.55, 0.05, 0.8, 0.025, 0.5, 0.2, 0])
        #expect(sure > 0.95)
        #expect(unsure < 0.1)
    }

    @Test("retrievers agreeing on the top topic is a feature; a stored model over other features is refused")
    func agreementAndStaleModels() throws {
        let (retriever, tokenizer) = try makeRetriever()
        let agreed = try retriever.rank(terms: tokenizer.terms("reset my password"), vector: [0, 0.1, 1], fusion: .zScore(weight: 0.5))
        #expect(ConfidenceModel.features(agreed).last == 1)
        // Lexically "password", semantically "refund": the fused top cannot have both the best cosine and BM25.
        let split = try retriever.rank(terms: tokenizer.terms("reset my password"), vector: [1, 0.1, 0], fusion: .zScore(weight: 0.5))
        #expect(ConfidenceModel.features(split).last == 0)

        let stale = #"{"means": [0, 0, 0, 0, 0, 0], "scales": [1, 1, 1, 1, 1, 1], "weights": [0, 0, 0, 0, 0, 0, 0]}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(ConfidenceModel.self, from: Data(stale.utf8)) }
        let model = ConfidenceModel.fit(features: [ConfidenceModel.features(agreed), ConfidenceModel.features(split)], labels: [true, false])
        #expect(try JSONDecoder().decode(ConfidenceModel.self, from: JSONEncoder().encode(model)) == model)
    }

    @Test("the Wilson lower bound is below the observed rate and tightens with more trials")
    func wilson() {
        let small = RetrievalCalibration.wilsonLowerBound(successes: 10, trials: 10)
        let large = RetrievalCalibration.wilsonLowerBound(successes: 1000, trials: 1000)
        #expect(small < 1 && large < 1)
        #expect(small < large)
        #expect(large > 0.99)
        #expect(RetrievalCalibration.wilsonLowerBound(successes: 0, trials: 0) == 0)
    }

    @Test("a fitted calibration orders its thresholds and bands a query with no evidence as no match")
    func calibrationBands() throws {
        let (retriever, tokenizer) = try makeRetriever()
        let queries = [
            ("refund please", [Float](arrayLiteral: 1, 0, 0), "refund"), ("parcel delivery", [0, 1, 0], "shipping"),
            ("password", [0, 0, 1], "password"), ("weather today", [0.5, 0.5, 0.5], nil),
        ].flatMap { query in
            Array(repeating: PreparedQuery(text: query.0, terms: tokenizer.terms(query.0), vector: query.1, expected: query.2), count: 5)
        }
        let calibration = try RetrievalCalibration.fit(retriever: retriever, queries: queries)
        #expect(calibration.midThreshold <= calibration.highThreshold)
        #expect(calibration.calibrationQueries == 20)
        let empty = try retriever.rank(terms: [], vector: [], fusion: calibration.fusion)
        #expect(calibration.band(for: empty, confidence: calibration.confidence(for: empty)) == .noMatch)
    }

    @Test("with out-of-scope examples the fit models scope, which alone turns questions away; without them it does not")
    func scopeModel() throws {
        let (retriever, tokenizer) = try makeRetriever()
        var generator = SeededGenerator(seed: 11)
        func jitter(_ vector: [Float]) -> [Float] { vector.map { $0 + Float.random(in: -0.15...0.15, using: &generator) } }
        let topics: [(String, [Float], String)] = [
            ("refund please", [1, 0, 0], "refund"), ("parcel delivery", [0, 1, 0], "shipping"), ("password", [0, 0, 1], "password"),
        ]
        var queries: [PreparedQuery] = []
        for round in 0..<30 {
            let topic = topics[round % 3]
            queries.append(PreparedQuery(text: topic.0, terms: tokenizer.terms(topic.0), vector: jitter(topic.1), expected: topic.2))
            queries.append(PreparedQuery(text: "weather today", terms: tokenizer.terms("weather today"), vector: jitter([0.55, 0.55, 0.55]), expected: nil))
        }
        let calibration = try RetrievalCalibration.fit(retriever: retriever, queries: queries)
        let scope = try #require(calibration.scope)
        #expect(calibration.midThreshold == 0)
        func band(_ text: String, _ vector: [Float]) throws -> MatchBand {
            let ranking = try retriever.rank(terms: tokenizer.terms(text), vector: vector, fusion: calibration.fusion, limit: 5)
            return calibration.band(for: ranking, confidence: calibration.confidence(for: ranking))
        }
        #expect(try band("weather today", [0.55, 0.55, 0.55]) == .low)
        #expect(try band("refund please", [1, 0, 0]) != .low)
        #expect(try band("password", [0, 0, 1]) != .low)

        let stored = try JSONDecoder().decode(RetrievalCalibration.self, from: JSONEncoder().encode(calibration))
        #expect(stored.scope == scope)
        var older = try JSONSerialization.jsonObject(with: JSONEncoder().encode(calibration)) as! [String: Any]
        older["scope"] = nil
        #expect(try JSONDecoder().decode(RetrievalCalibration.self, from: JSONSerialization.data(withJSONObject: older)).scope == nil)

        let withoutOutOfScope = try RetrievalCalibration.fit(retriever: retriever, queries: queries.filter { $0.expected != nil })
        #expect(withoutOutOfScope.scope == nil)
        #expect(withoutOutOfScope.midThreshold > 0)
    }

    @Test("held-out phrasings add evidence: the fusion stays the labelled questions', and what turns questions away keeps both kinds")
    func heldOutPhrasingsAsEvidence() throws {
        let (retriever, tokenizer) = try makeRetriever()
        var generator = SeededGenerator(seed: 12)
        func jitter(_ vector: [Float], _ spread: Float) -> [Float] {
            vector.map { $0 + Float.random(in: -spread...spread, using: &generator) }
        }
        func scored(_ text: String, _ vector: [Float], _ expected: String?) throws -> ScoredQuery {
            ScoredQuery(index: retriever, scores: try retriever.scores(terms: tokenizer.terms(text), vector: vector), expected: expected)
        }
        let topics: [(String, [Float], String)] = [
            ("refund please", [1, 0, 0], "refund"), ("parcel delivery", [0, 1, 0], "shipping"), ("password", [0, 0, 1], "password"),
        ]
        var labelled: [ScoredQuery] = []
        var phrasings: [ScoredQuery] = []
        for round in 0..<30 {
            let topic = topics[round % 3]
            labelled.append(try scored(topic.0, jitter(topic.1, 0.1), topic.2))
            labelled.append(try scored("weather today", jitter([0.55, 0.55, 0.55], 0.1), nil))
            // Phrasings whose words name their topic while their meaning points at another's: harder questions,
            // which would call for more weight on BM25.
            phrasings.append(try scored(topic.0, jitter(topics[(round + 1) % 3].1, 0.1), topic.2))
        }
        #expect(RetrievalCalibration.bestFusion(labelled) != RetrievalCalibration.bestFusion(labelled + phrasings))

        let alone = RetrievalCalibration.fit(scored: labelled, source: .labelled)
        let both = RetrievalCalibration.fit(scored: labelled, phrasings: phrasings, source: .labelled)
        #expect(both.fusion == alone.fusion)
        #expect(both.calibrationQueries == labelled.count + phrasings.count)
        let scope = try #require(both.scope)
        func inScopeProbabilities(_ queries: [ScoredQuery]) -> [Double] {
            queries.filter { $0.expected != nil }.map { scope.model.probability($0.rank(both.fusion, limit: 5)) }
        }
        // 30 in-scope questions per source cannot show a 5% loss with 95% confidence: no in-scope question of either
        // source may fall below the threshold, although a threshold fitted on the labelled ones alone would drop
        // some phrasings.
        let labelledProbabilities = inScopeProbabilities(labelled)
        let phrasingProbabilities = inScopeProbabilities(phrasings)
        #expect((labelledProbabilities + phrasingProbabilities).allSatisfy { $0 >= scope.threshold })
        #expect(phrasingProbabilities.contains { $0 < (labelledProbabilities.min() ?? 0) })
        let outOfScope = labelled.filter { $0.expected == nil }
        #expect(outOfScope.contains { scope.rejects($0.rank(both.fusion, limit: 5)) })
    }
}

@Suite("Hybrid index over units")
struct HybridIndexUnitTests {
    @Test("a topic's name is searched with its phrasings, underscores as spaces; names of topics without units are ignored")
    func topicNamesAreSearched() throws {
        let tokenizer = SearchTokenizer(segmenter: sharedSegmenter)
        let entries = [
            KnowledgeEntry(line: 2, questionCount: 1, topicName: "card_arrival", phrasings: ["where is my new one"], standardScript: "", riskNotes: ""),
            KnowledgeEntry(line: 3, questionCount: 1, topicName: "儿童便秘与饮食调整", phrasings: ["孩子好几天没拉了"], standardScript: "", riskNotes: ""),
            KnowledgeEntry(line: 4, questionCount: 1, topicName: "opening_hours", phrasings: ["when do you open"], standardScript: "", riskNotes: ""),
        ]
        let names = KnowledgeEntry.topicTerms(of: entries, tokenizer: tokenizer)
        #expect(names["card_arrival"] == tokenizer.terms("card arrival"))
        #expect(names["儿童便秘与饮食调整"]?.contains("便秘") == true)
        let units = KnowledgeEntry.retrievalUnits(of: entries)
        let phrasings = KnowledgeEntry.phrasings(of: entries)
        let vectors: [[Float]] = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
        func topBM25(_ query: String, _ groupTerms: [String: [String]]) throws -> String? {
            let index = try HybridIndex(
                units: units, unitTerms: phrasings.map(tokenizer.terms), unitVectors: vectors, groupTerms: groupTerms)
            return try index.rank(terms: tokenizer.terms(query), vector: [0.3, 0.3, 0.3], fusion: .bm25, limit: 1)
                .first.flatMap { $0.bm25 > 0 ? $0.group : nil }
        }
        // Words only the names hold: without the names nothing matches them.
        #expect(try topBM25("has my card arrived", names) == "card_arrival")
        #expect(try topBM25("孩子便秘怎么办", names) == "儿童便秘与饮食调整")
        #expect(try topBM25("has my card arrived", [:]) == nil)
        var withAbsent = names
        withAbsent["refunds"] = tokenizer.terms("refund money back")
        #expect(try topBM25("money back please", withAbsent) == nil)
    }

    @Test("the centroid fusion scores a topic by its mean phrasing, so phrasings either side of a question beat one nearer")
    func centroidFusion() throws {
        let tokenizer = SearchTokenizer(segmenter: sharedSegmenter)
        let entries = [
            KnowledgeEntry(line: 2, questionCount: 1, topicName: "travel", phrasings: ["book a flight", "reserve a hotel"], standardScript: "", riskNotes: ""),
            KnowledgeEntry(line: 3, questionCount: 1, topicName: "visa", phrasings: ["visa rules"], standardScript: "", riskNotes: ""),
            KnowledgeEntry(line: 4, questionCount: 1, topicName: "weather", phrasings: ["will it rain"], standardScript: "", riskNotes: ""),
        ]
        // travel's two phrasings lie either side of the question; visa's one lies nearer than either.
        let vectors: [[Float]] = [[1, 0, 0], [0, 1, 0], [0.9, 0.436, 0], [0, 0, 1]]
        let index = try HybridIndex(
            units: KnowledgeEntry.retrievalUnits(of: entries), unitTerms: KnowledgeEntry.phrasings(of: entries).map(tokenizer.terms),
            unitVectors: vectors)
        let between: [Float] = [0.7, 0.7, 0]
        let scores = try index.scores(terms: [], vector: between)
        #expect(abs(scores.centroidCosines[0] - 1) < 1e-5)
        #expect(abs(scores.centroidCosines[1] - 0.9446) < 1e-3)
        #expect(index.rank(scores, fusion: .centroidZScore(weight: 0), limit: 1).first?.group == "travel")
        #expect(index.rank(scores, fusion: .zScore(weight: 0), limit: 1).first?.group == "visa")
        // Questions the best phrasing ranks wrong and the centre right: the fit chooses the centroid family.
        let questions = [(between, "travel"), ([0.6, 0.8, 0], "travel"), ([0.9, 0.436, 0], "visa"), ([0, 0.1, 1], "weather")]
        let scored = try questions.map { vector, topic in
            ScoredQuery(index: index, scores: try index.scores(terms: [], vector: vector), expected: topic)
        }
        #expect(RetrievalCalibration.bestFusion(scored).scoresCentroids)
        // One unit a group (document chunks): the centre is the unit, and the fusion ranks as the z-score one does.
        let chunks = try HybridIndex(
            units: ["a", "b", "c"].map { RetrievalUnit(text: $0, group: $0, provenance: Provenance(source: "d", record: 0)) },
            unitTerms: [["a"], ["b"], ["c"]], unitVectors: [[1, 0, 0], [0.9, 0.436, 0], [0, 0, 1]])
        let chunkScores = try chunks.scores(terms: ["b"], vector: between)
        #expect(chunkScores.centroidCosines.isEmpty)
        #expect(
            chunks.rank(chunkScores, fusion: .centroidZScore(weight: 0.3)).map(\.group)
                == chunks.rank(chunkScores, fusion: .zScore(weight: 0.3)).map(\.group))
    }

    @Test("the per-topic model tells apart a phrasing that lies nearer another topic's centre; singleton indexes get none")
    func classifierFusion() throws {
        func unit(_ group: String, _ record: Int) -> RetrievalUnit {
            RetrievalUnit(text: "\(group)\(record)", group: group, provenance: Provenance(source: "kb", record: record))
        }
        // a2 lies nearer b's centre (cosine 0.909) than a's own (0.894), yet a plane (x − z) separates the topics.
        let a2: [Float] = [0.6, 0.8, 0]
        let index = try HybridIndex(
            units: [unit("a", 0), unit("a", 1), unit("b", 2), unit("b", 3)], unitTerms: [[], [], [], []],
            unitVectors: [[1, 0, 0], a2, [0.3, 0.9, 0.3], [0.2, 0.95, 0.1]])
        let scores = try index.scores(terms: [], vector: a2)
        #expect(scores.classifierScores.count == 2)
        #expect(index.rank(scores, fusion: .centroidZScore(weight: 0), limit: 1).first?.group == "b")
        #expect(index.rank(scores, fusion: .classifierZScore(weight: 0), limit: 1).first?.group == "a")
        // Ranking for one fusion computes only the group scores it reads.
        let forClassifier = try index.scores(terms: [], vector: a2, for: .classifierZScore(weight: 0))
        #expect(forClassifier.classifierScores == scores.classifierScores && forClassifier.centroidCosines.isEmpty)
        let forZScore = try index.scores(terms: [], vector: a2, for: .zScore(weight: 0.5))
        #expect(forZScore.classifierScores.isEmpty && forZScore.centroidCosines.isEmpty)
        #expect(try index.rank(terms: [], vector: a2, fusion: .classifierZScore(weight: 0)).first?.group == "a")
        // The model is trained from the units alone: the same index gives the same scores.
        let again = try HybridIndex(
            units: [unit("a", 0), unit("a", 1), unit("b", 2), unit("b", 3)], unitTerms: [[], [], [], []],
            unitVectors: [[1, 0, 0], a2, [0.3, 0.9, 0.3], [0.2, 0.95, 0.1]])
        #expect(try again.scores(terms: [], vector: a2).classifierScores == scores.classifierScores)
        // Most groups with one unit (document chunks, single-phrasing knowledge bases): no model, and the fusion ranks
        // by each group's best unit, as the z-score one does.
        let singles = try HybridIndex(
            units: [unit("a", 0), unit("a", 1), unit("b", 2), unit("c", 3)], unitTerms: [["x"], [], ["x"], []],
            unitVectors: [[1, 0, 0], a2, [0.3, 0.9, 0.3], [0, 0, 1]])
        let singleScores = try singles.scores(terms: ["x"], vector: a2)
        #expect(singleScores.classifierScores.isEmpty)
        #expect(
            singles.rank(singleScores, fusion: .classifierZScore(weight: 0.3)).map(\.group)
                == singles.rank(singleScores, fusion: .zScore(weight: 0.3)).map(\.group))
    }

    @Test("knowledge-base phrasings become units with their file, row and record; groups are topics")
    func knowledgeBaseUnits() throws {
        let entries = [
            KnowledgeEntry(line: 2, questionCount: 1, topicName: "hours", phrasings: ["when are you open", "opening hours"], standardScript: "9-5", riskNotes: ""),
            KnowledgeEntry(line: 7, questionCount: 1, topicName: "parking", phrasings: ["where do I park"], standardScript: "Elm St", riskNotes: ""),
        ]
        let units = KnowledgeEntry.retrievalUnits(of: entries, sources: ["a.csv", "b.csv"])
        #expect(units.map(\.text) == ["when are you open", "opening hours", "where do I park"])
        #expect(units.map(\.group) == ["hours", "hours", "parking"])
        #expect(units.map(\.provenance) == [
            Provenance(source: "a.csv", record: 0, row: 2), Provenance(source: "a.csv", record: 0, row: 2),
            Provenance(source: "b.csv", record: 1, row: 7),
        ])
    }

    @Test("document chunks, one unit a group, rank as chunks and keep their pages and offsets")
    func chunks() throws {
        let tokenizer = SearchTokenizer(segmenter: sharedSegmenter)
        let texts = ["the author was born in a small harbour town", "her first novel sold poorly", "later she taught physics"]
        let units = texts.enumerated().map { index, text in
            RetrievalUnit(
                text: text, group: "chunk-\(index)",
                provenance: Provenance(source: "life.pdf", record: index, pages: (index + 1)...(index + 2), characters: (index * 100)..<(index * 100 + text.count)))
        }
        let index = try HybridIndex(
            units: units, unitTerms: texts.map(tokenizer.terms), unitVectors: [[1, 0, 0], [0, 1, 0], [0, 0, 1]])
        #expect(index.groups == ["chunk-0", "chunk-1", "chunk-2"])
        let ranking = try index.rank(terms: tokenizer.terms("what did she teach"), vector: [0.1, 0.1, 1], fusion: .convex(weight: 0.5))
        let top = try #require(ranking.first)
        #expect(top.group == "chunk-2" && top.record == 2)
        #expect(index.units[top.unit].provenance.pages == 3...4)
        #expect(index.units[top.unit].provenance.characters == 200..<224)
        #expect(throws: RetrievalError.misalignedInputs(units: 3, termLists: 2, vectors: 3)) {
            _ = try HybridIndex(units: units, unitTerms: Array(texts.prefix(2)).map(tokenizer.terms), unitVectors: [[1, 0, 0], [0, 1, 0], [0, 0, 1]])
        }
        #expect(throws: DimensionMismatch(expected: 3, actual: 2)) {
            _ = try index.rank(terms: [], vector: [1, 0], fusion: .dense)
        }
    }
}
