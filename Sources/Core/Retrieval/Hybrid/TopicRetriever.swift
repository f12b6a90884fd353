/// One topic a query may be about, with the evidence for it.
public struct TopicCandidate: Sendable, Hashable, Codable {
    public var topic: String
    /// The entry (index into the retriever's entries) whose phrasing matched best.
    public var entry: Int
    /// Raw BM25 score of the best phrasing.
    public var bm25: Float
    /// BM25 divided by the query's maximum attainable score (0...1).
    public var bm25Normalised: Float
    /// Cosine similarity of the best phrasing.
    public var cosine: Float
    /// The fused ranking score.
    public var fused: Float
    /// How many standard deviations the cosine stands above the knowledge base's mean for this query.
    public var cosineZ: Float = 0
}

/// Ranks the topics of a knowledge base for a query with BM25, dense vectors or a fusion of both; several
/// phrasings (rows sharing a topic, or extra phrasings of an entry) collapse into their topic.
public struct TopicRetriever: Sendable {
    public let entries: [KnowledgeEntry]
    /// BM25 over phrasings.
    public let lexical: BM25Index
    /// BM25 over topics, each the concatenated phrasings of its rows: short questions share few words, so a
    /// topic's pooled vocabulary matches paraphrases a single phrasing misses.
    public let topicLexical: BM25Index
    public let dense: DenseIndex
    /// For each indexed phrasing, the entry it belongs to.
    let documentEntries: [Int]
    let documentTopics: [Int]
    public let topics: [String]

    /// Indexes every phrasing of every entry; `terms` and `vectors` are given per phrasing in the same order.
    public init(entries: [KnowledgeEntry], phrasingTerms terms: [[String]], phrasingVectors vectors: [[Float]]) throws {
        var documentEntries: [Int] = []
        for (index, entry) in entries.enumerated() {
            documentEntries += Array(repeating: index, count: entry.phrasings.count)
        }
        guard terms.count == documentEntries.count, vectors.count == documentEntries.count else {
            throw RetrievalError.misalignedInputs(
                phrasings: documentEntries.count, termLists: terms.count, vectors: vectors.count)
        }
        var topicIDs: [String: Int] = [:]
        var topics: [String] = []
        let documentTopics = documentEntries.map { entry -> Int in
            let name = entries[entry].topicName
            if let id = topicIDs[name] { return id }
            topicIDs[name] = topics.count
            topics.append(name)
            return topics.count - 1
        }
        self.entries = entries
        self.documentEntries = documentEntries
        self.documentTopics = documentTopics
        self.topics = topics
        self.lexical = BM25Index(documents: terms)
        var topicTerms = [[String]](repeating: [], count: topics.count)
        for (document, topic) in documentTopics.enumerated() { topicTerms[topic] += terms[document] }
        self.topicLexical = BM25Index(documents: topicTerms)
        self.dense = try DenseIndex(dimension: vectors.first?.count ?? 0, vectors: vectors)
    }

    /// All phrasings in index order, for embedding: (entry index, text).
    public static func phrasings(of entries: [KnowledgeEntry]) -> [String] {
        entries.flatMap(\.phrasings)
    }

    /// Mean and standard deviation (1 when the values are all equal).
    static func meanAndScale(_ values: [Float]) -> (mean: Float, scale: Float) {
        guard !values.isEmpty else { return (0, 1) }
        let mean = values.reduce(0, +) / Float(values.count)
        let variance = values.reduce(Float(0)) { $0 + ($1 - mean) * ($1 - mean) } / Float(values.count)
        return (mean, variance > 1e-12 ? variance.squareRoot() : 1)
    }

    /// The `limit` best topics for a query, best first; a vector of another dimension than the index's is an error.
    public func rank(terms: [String], vector: [Float], fusion: Fusion, limit: Int = 10) throws -> [TopicCandidate] {
        let count = documentEntries.count
        guard count > 0 else { return [] }
        var topicBM25 = [Float](repeating: 0, count: topics.count)
        var scratch = ScoreAccumulator(documentCount: topics.count)
        for topic in topicLexical.matches(terms, scratch: &scratch) { topicBM25[topic.document] = topic.score }
        let bm25 = documentTopics.map { topicBM25[$0] }
        let cosines = vector.isEmpty ? [Float](repeating: 0, count: count) : try dense.scores(for: vector)
        let attainable = topicLexical.maximumAttainableScore(for: terms)
        let topBM25 = bm25.max() ?? 0
        let denseStatistics = Self.meanAndScale(cosines)
        var lexicalStatistics = (mean: Float(0), scale: Float(1))
        if case .zScore = fusion { lexicalStatistics = Self.meanAndScale(bm25) }

        var best = [Int](repeating: -1, count: topics.count)
        var bestFused = [Float](repeating: -.infinity, count: topics.count)
        var fusedScores = [Float](repeating: 0, count: count)
        for document in 0..<count {
            let normalised = attainable > 0 ? bm25[document] / attainable : 0
            let fused: Float
            switch fusion {
            case .bm25: fused = normalised
            case .dense: fused = cosines[document]
            case .vividcrowd(let lexicalWeight, let denseWeight):
                let lexicalPart = topBM25 > 0 ? bm25[document] / topBM25 : 0
                fused = Float(lexicalWeight) * lexicalPart + Float(denseWeight) * (cosines[document] + 1) / 2
            case .convex(let weight):
                fused = Float(weight) * normalised + Float(1 - weight) * cosines[document]
            case .zScore(let weight):
                fused = Float(weight) * (bm25[document] - lexicalStatistics.mean) / lexicalStatistics.scale
                    + Float(1 - weight) * (cosines[document] - denseStatistics.mean) / denseStatistics.scale
            }
            fusedScores[document] = fused
            let topic = documentTopics[document]
            if fused > bestFused[topic] {
                bestFused[topic] = fused
                best[topic] = document
            }
        }
        var heap = TopKHeap(capacity: limit)
        for topic in topics.indices where best[topic] >= 0 { heap.insert(topic, bestFused[topic]) }
        return heap.sorted().map { scored in
            let document = best[scored.document]
            return TopicCandidate(
                topic: topics[scored.document], entry: documentEntries[document], bm25: bm25[document],
                bm25Normalised: attainable > 0 ? bm25[document] / attainable : 0, cosine: cosines[document],
                fused: fusedScores[document], cosineZ: (cosines[document] - denseStatistics.mean) / denseStatistics.scale)
        }
    }
}
