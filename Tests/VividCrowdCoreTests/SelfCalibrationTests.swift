import Foundation
import Testing
@testable import VividCrowdCore
import VividCrowdTesting

/// A knowledge base of `topics` topics with `phrasings` phrasings each, whose vectors sit near their topic's axis and
/// whose words are the topic's own plus one shared by all.
private func knowledgeBase(topics: Int, phrasings: Int, seed: UInt64 = 1) -> (units: [RetrievalUnit], terms: [[String]], vectors: [[Float]]) {
    var generator = SeededGenerator(seed: seed)
    var units: [RetrievalUnit] = []
    var terms: [[String]] = []
    var vectors: [[Float]] = []
    for topic in 0..<topics {
        for phrasing in 0..<phrasings {
            units.append(RetrievalUnit(
                text: "topic \(topic) phrasing \(phrasing)", group: "t\(topic)",
                provenance: Provenance(source: "kb.csv", record: topic, row: topic + 2)))
            terms.append(["word\(topic)", "variant\(topic)x\(phrasing % 3)", "common"])
            var vector = (0..<topics).map { _ in Float.random(in: -0.3...0.3, using: &generator) }
            vector[topic] += 1
            vectors.append(vector)
        }
    }
    return (units, terms, vectors)
}

@Suite("Self-calibration from a knowledge base's own phrasings")
struct SelfCalibrationTests {
    @Test("every phrasing is asked once, of an index without it; a topic's only phrasing is asked as out of scope")
    func heldOutQueries() throws {
        var (units, terms, vectors) = knowledgeBase(topics: 12, phrasings: 3)
        units.append(RetrievalUnit(text: "lonely", group: "single", provenance: Provenance(source: "kb.csv", record: 12)))
        terms.append(["lonely"])
        vectors.append([Float](repeating: 0.1, count: 12))
        let queries = try SelfCalibration.heldOutQueries(units: units, unitTerms: terms, unitVectors: vectors)
        #expect(queries.count == units.count)
        for query in queries {
            // Each index lacks exactly the phrasings of its fold: never a whole multi-phrasing topic.
            #expect(query.index.units.count < units.count)
            if let expected = query.expected {
                #expect(query.index.groups.contains(expected))
            }
        }
        let outOfScope = queries.filter { $0.expected == nil }
        #expect(outOfScope.count == 1)
        #expect(outOfScope.first.map { !$0.index.groups.contains("single") } == true)
        // Each held-out phrasing's own text is missing from the index it was asked of.
        let askedTexts = queries.map { query in Set(query.index.units.map(\.text)) }
        #expect(zip(queries, askedTexts).allSatisfy { $0.0.index.units.count == $0.1.count })
    }

    @Test("a phrasing repeated word for word in its topic is held out but not asked (it would find itself)")
    func duplicatesAreNotAsked() throws {
        var (units, terms, vectors) = knowledgeBase(topics: 10, phrasings: 3)
        units.append(RetrievalUnit(text: "Topic 0, phrasing 0!", group: "t0", provenance: Provenance(source: "kb.csv", record: 0)))
        terms.append(terms[0])
        vectors.append(vectors[0])
        let queries = try SelfCalibration.heldOutQueries(units: units, unitTerms: terms, unitVectors: vectors)
        #expect(queries.count == units.count - 2)
    }

    @Test("several phrasings per topic give a self-fitted calibration; one per topic, or too few topics with several, give none")
    func fitOrNot() throws {
        let several = knowledgeBase(topics: 15, phrasings: 4)
        let fitted = try #require(try SelfCalibration.fit(
            units: several.units, unitTerms: several.terms, unitVectors: several.vectors))
        #expect(fitted.source == .selfFitted)
        #expect(fitted.calibrationQueries == 60)
        #expect(fitted.confidence != nil)
        #expect(fitted.highThreshold >= 0.9 && fitted.midThreshold <= fitted.highThreshold)

        let single = knowledgeBase(topics: 40, phrasings: 1)
        #expect(try SelfCalibration.fit(units: single.units, unitTerms: single.terms, unitVectors: single.vectors) == nil)

        // 12 topics with several phrasings among 40: not enough to speak for the rest.
        let mixed = knowledgeBase(topics: 12, phrasings: 3)
        let units = mixed.units + single.units.dropFirst(12).map {
            RetrievalUnit(text: $0.text, group: "s-\($0.group)", provenance: $0.provenance)
        }
        let vectors = mixed.vectors + single.vectors.dropFirst(12)
        let terms = mixed.terms + single.terms.dropFirst(12)
        #expect(try SelfCalibration.fit(units: units, unitTerms: terms, unitVectors: vectors) == nil)
    }

    @Test("a calibration stored before sources were recorded reads as labelled")
    func olderStoredCalibrations() throws {
        let json = #"{"fusion":{"convex":{"weight":0.3}},"highThreshold":0.91,"midThreshold":0.4,"calibrationQueries":25}"#
        let decoded = try JSONDecoder().decode(RetrievalCalibration.self, from: Data(json.utf8))
        #expect(decoded.source == .labelled)
        let roundTrip = try JSONDecoder().decode(
            RetrievalCalibration.self, from: JSONEncoder().encode(RetrievalCalibration.standard))
        #expect(roundTrip == .standard)
    }

    @Test("precomputed scores rank as the direct path does, and a shortlist keeps the top of every fusion tried")
    func scoresAndShortlist() throws {
        let base = knowledgeBase(topics: 40, phrasings: 5)
        let index = try HybridIndex(units: base.units, unitTerms: base.terms, unitVectors: base.vectors)
        for probe in [0, 37, 101, 199] {
            let scores = try index.scores(terms: base.terms[probe], vector: base.vectors[probe])
            let short = index.shortlisted(scores, keeping: 16)
            #expect(short.shortlist?.count ?? 0 < base.units.count)
            for fusion in [Fusion.zScore(weight: 0.1), .zScore(weight: 0.5), .convex(weight: 0.3), .dense, .bm25,
                           .pooledZScore(weight: 0.1, temperature: 1)] {
                let direct = try index.rank(terms: base.terms[probe], vector: base.vectors[probe], fusion: fusion, limit: 3)
                #expect(index.rank(scores, fusion: fusion, limit: 3) == direct)
                #expect(index.rank(short, fusion: fusion, limit: 1).first?.group == direct.first?.group)
                #expect(index.topGroup(short, fusion: fusion).map { index.groups[$0] } == direct.first?.group)
            }
        }
    }
}

@Suite("Topics scored from all their phrasings")
struct PooledFusionTests {
    @Test("a topic that several phrasings point at outranks one that a single phrasing matches a little better")
    func severalBeatOne() throws {
        // Topic "many": three phrasings close to the query; topic "one": one phrasing slightly closer, two far off.
        let vectors: [[Float]] = [
            [1, 0.30, 0], [1, 0.32, 0.05], [1, 0.28, -0.05],
            [1, 0.25, 0], [0, 1, 0], [0, 0, 1],
        ] + (0..<10).map { [0.1, Float($0) / 10, 1] }
        let units = vectors.indices.map { index in
            RetrievalUnit(
                text: "u\(index)", group: index < 3 ? "many" : index < 6 ? "one" : "other \(index)",
                provenance: Provenance(source: "", record: index))
        }
        let index = try HybridIndex(units: units, unitTerms: units.map { [$0.text] }, unitVectors: vectors)
        let query: [Float] = [1, 0.25, 0]
        let best = try index.rank(terms: ["nothing"], vector: query, fusion: .zScore(weight: 0), limit: 2)
        #expect(best.first?.group == "one")
        let pooled = try index.rank(terms: ["nothing"], vector: query, fusion: .pooledZScore(weight: 0, temperature: 1), limit: 2)
        #expect(pooled.first?.group == "many")
        // As the temperature nears 0 the soft maximum is the maximum again.
        let cold = try index.rank(terms: ["nothing"], vector: query, fusion: .pooledZScore(weight: 0, temperature: 0.001), limit: 2)
        #expect(cold.map(\.group) == best.map(\.group))
        #expect(abs((cold.first?.fused ?? 0) - (best.first?.fused ?? 0)) < 0.01)
    }
}

@Suite("Calibration at import")
struct ImportCalibrationTests {
    let header = "question_count,topic_name,typical_question,standard_script,risk_notes\n"

    func desk(_ environment: [String: String] = [:]) throws -> CustomerServiceDesk {
        let client = LLMClient(transport: SwitchableEmbeddings(), models: testModels, embeddingBatchSize: 16)
        return try CustomerServiceDesk.make(
            store: InMemoryStore(), llm: client, configuration: try VividCrowdConfiguration(environment: environment),
            corpora: repositoryRoot.appendingPathComponent("corpora"))
    }

    @Test("configured weights are what is used: no self-calibration, and the answer names them")
    func configuredWeightsWin() async throws {
        let desk = try desk(["BM25_WEIGHT": "0.6"])
        let outcome = try await desk.importKnowledgeBase(Data(severalPhrasings(12).utf8), fileName: "kb.csv")
        #expect(outcome.calibration?.source == .default)
        #expect(outcome.message.contains("configured weights"))
        let current = try await desk.matcher.currentCalibration()
        #expect(current.fusion == .convex(weight: 0.6) && current.confidence == nil)
    }

    /// Topics whose cells hold several phrasings each.
    func severalPhrasings(_ topics: Int) -> String {
        header + (0..<topics).map { topic in
            let cell = ["How do I get item \(topic)?", "Where is item \(topic) sold", "item \(topic) price please"]
                .joined(separator: "\n")
            return "3,topic \(topic),\"\(cell)\",script \(topic),"
        }.joined(separator: "\n") + "\n"
    }

    @Test("a knowledge base with several phrasings per topic calibrates itself; the answer says which calibration is in force")
    func importCalibrates() async throws {
        let desk = try desk()
        let outcome = try await desk.importKnowledgeBase(Data(severalPhrasings(12).utf8), fileName: "kb.csv")
        #expect(outcome.calibration?.source == .selfFitted)
        #expect(outcome.calibration?.queries == 36)
        #expect(outcome.message.contains("calibrated from the knowledge base itself"))
        let current = try await desk.matcher.currentCalibration()
        #expect(current.source == .selfFitted)

        // Replaced by one phrasing per topic: back to the default, with the answer saying so.
        var single = header
        for topic in 0..<12 { single += "1,topic \(topic),How do I get item \(topic)?,script \(topic),\n" }
        let replaced = try await desk.importKnowledgeBase(Data(single.utf8), fileName: "kb.csv")
        #expect(replaced.calibration?.source == .default)
        #expect(replaced.message.contains("default calibration"))
        let afterwards = try await desk.matcher.currentCalibration()
        #expect(afterwards == .standard)
    }

    @Test("labelled calibration fits on the questions and, when topics have several phrasings, the held-out phrasings beside them")
    func labelledUsesHeldOutPhrasings() async throws {
        let labelled = (0..<24).map { LabelledQuery(query: "price of item \($0 % 12)", expected: "topic \($0 % 12)") }
        let several = try desk()
        _ = try await several.importKnowledgeBase(Data(severalPhrasings(12).utf8), fileName: "kb.csv")
        #expect(try await several.matcher.calibrate(labelled).calibrationQueries == 24 + 36)
        let single = try desk()
        var csv = header
        for topic in 0..<12 { csv += "1,topic \(topic),How do I get item \(topic)?,script \(topic),\n" }
        _ = try await single.importKnowledgeBase(Data(csv.utf8), fileName: "kb.csv")
        #expect(try await single.matcher.calibrate(labelled).calibrationQueries == 24)
    }

    @Test("labelled calibration wins over the next import's self-calibration")
    func labelledWins() async throws {
        let desk = try desk()
        _ = try await desk.importKnowledgeBase(Data(severalPhrasings(12).utf8), fileName: "kb.csv")
        let labelled = (0..<24).map { LabelledQuery(query: "price of item \($0 % 12)", expected: "topic \($0 % 12)") }
        let fitted = try await desk.matcher.calibrate(labelled)
        #expect(fitted.source == .labelled)
        let outcome = try await desk.importKnowledgeBase(Data(severalPhrasings(14).utf8), fileName: "more.csv")
        #expect(outcome.calibration?.source == .labelled)
        let current = try await desk.matcher.currentCalibration()
        #expect(current == fitted)
    }
}
