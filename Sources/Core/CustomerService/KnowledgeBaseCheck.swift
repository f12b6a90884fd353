import Foundation

/// Something in a knowledge base that will hurt matching, found at import.
public struct KnowledgeBaseWarning: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable {
        /// Two topics whose phrasings mean nearly the same: a question for one lands on either.
        case nearDuplicateTopics = "near_duplicate_topics"
        /// Most of a topic's phrasings sit closer to another topic's than to the rest of their own.
        case confusedTopic = "confused_topic"
        /// A row whose script has no letter or digit ("-", "…"): nothing to answer with.
        case emptyScript = "empty_script"
    }

    public var kind: Kind
    /// The topics concerned (for a confused topic: it, then the topic its phrasings lean to).
    public var topics: [String]
    /// Their CSV lines.
    public var rows: [Int]
    /// The cosine of the two topics' mean phrasing vectors, or the share of phrasings that lean away.
    public var score: Double?
    public var message: String
}

/// Checks a knowledge base for near-duplicate topics, topics whose phrasings lean to another topic, and empty
/// scripts. Near-duplicates are judged against the knowledge base's own spread of topic similarities (how far above
/// the typical pair), so the check needs no threshold per embedding model.
public struct KnowledgeBaseCheck: Sendable {
    /// Standard deviations above the mean topic-pair similarity at which two topics count as near-duplicates.
    public static let duplicateDeviations: Float = 4
    /// Topic-pair similarities are computed up to this many topics (the work grows with its square).
    public static let maximumTopics = 5_000
    /// A topic is confused when more than this share of its held-out phrasings lean to one other topic.
    public static let confusedShare = 0.5

    public var warnings: [KnowledgeBaseWarning]
    /// For each topic, the topics it nearly duplicates.
    public var nearDuplicates: [String: Set<String>]
    /// Whether the topic-pair similarities were computed (not above `maximumTopics`).
    public var checkedPairs: Bool

    /// Checks `entries`, whose phrasings (in `KnowledgeEntry.phrasings(of:)` order) have `vectors`; `heldOut` are the
    /// self-calibration's held-out phrasings, when the knowledge base has several per topic.
    public static func run(entries: [KnowledgeEntry], vectors: [[Float]], heldOut: [ScoredQuery] = []) throws -> KnowledgeBaseCheck {
        var warnings: [KnowledgeBaseWarning] = []
        var rowsByTopic: [String: [Int]] = [:]
        var topics: [String] = []
        for entry in entries {
            if rowsByTopic[entry.topicName] == nil { topics.append(entry.topicName) }
            rowsByTopic[entry.topicName, default: []].append(entry.line)
        }
        for entry in entries where !entry.standardScript.unicodeScalars.contains(where: {
            $0.properties.isAlphabetic || $0.properties.numericType != nil
        }) {
            warnings.append(KnowledgeBaseWarning(
                kind: .emptyScript, topics: [entry.topicName], rows: [entry.line], score: nil,
                message: "line \(entry.line) (\(entry.topicName)) has no words in its standard_script: a confident match would answer with nothing"))
        }

        var nearDuplicates: [String: Set<String>] = [:]
        let checkedPairs = topics.count <= maximumTopics && topics.count > 2
        if checkedPairs, let dimension = vectors.first?.count {
            // Each topic's direction: the mean of its unit-length phrasing vectors.
            var sums = [String: [Float]]()
            var phrasingIndex = 0
            for entry in entries {
                for _ in entry.phrasings {
                    let unit = DenseIndex.normalised(vectors[phrasingIndex])
                    sums[entry.topicName, default: [Float](repeating: 0, count: dimension)].withUnsafeMutableBufferPointer { sum in
                        for index in 0..<dimension { sum[index] += unit[index] }
                    }
                    phrasingIndex += 1
                }
            }
            let centroids = try DenseIndex(dimension: dimension, vectors: topics.map { sums[$0]! })
            func similarities(of topic: Int) throws -> [Float] {
                try centroids.scores(for: Array(centroids.matrix[(topic * dimension)..<((topic + 1) * dimension)]))
            }
            // Two passes, each row computed when needed: the whole matrix of 5,000 topics would take 100 MB.
            var sum = 0.0
            var squares = 0.0
            var pairs = 0.0
            for a in topics.indices {
                let row = try similarities(of: a)
                for b in (a + 1)..<topics.count {
                    let value = Double(row[b])
                    sum += value
                    squares += value * value
                    pairs += 1
                }
            }
            let mean = sum / pairs
            let deviation = max(0, squares / pairs - mean * mean).squareRoot()
            let threshold = Float(mean) + duplicateDeviations * Float(deviation)
            for a in topics.indices {
                let row = try similarities(of: a)
                for b in (a + 1)..<topics.count where row[b] >= threshold {
                    nearDuplicates[topics[a], default: []].insert(topics[b])
                    nearDuplicates[topics[b], default: []].insert(topics[a])
                    warnings.append(KnowledgeBaseWarning(
                        kind: .nearDuplicateTopics, topics: [topics[a], topics[b]],
                        rows: rowsByTopic[topics[a]]! + rowsByTopic[topics[b]]!, score: Double(row[b]),
                        message: String(
                            format: "%@ and %@ mean nearly the same (similarity %.3f, %.1f standard deviations above the typical pair): merge them or make their phrasings distinct",
                            topics[a], topics[b], row[b], deviation > 0 ? (Double(row[b]) - mean) / deviation : 0)))
                }
            }
        }

        // Topics whose held-out phrasings find another topic's phrasing closest.
        var asked: [String: Int] = [:]
        var leaning: [String: [String: Int]] = [:]
        for query in heldOut {
            guard let expected = query.expected, let nearest = query.scores.cosines.indices.max(by: {
                query.scores.cosines[$0] < query.scores.cosines[$1]
            }) else { continue }
            asked[expected, default: 0] += 1
            let group = query.index.units[query.scores.shortlist?[nearest] ?? nearest].group
            if group != expected { leaning[expected, default: [:]][group, default: 0] += 1 }
        }
        for topic in topics {
            guard let count = asked[topic], count >= 2,
                let (other, votes) = leaning[topic]?.max(by: { ($0.value, $1.key) < ($1.value, $0.key) }),
                Double(votes) > confusedShare * Double(count)
            else { continue }
            warnings.append(KnowledgeBaseWarning(
                kind: .confusedTopic, topics: [topic, other], rows: rowsByTopic[topic]!,
                score: Double(votes) / Double(count),
                message: "\(votes) of \(count) phrasings of \(topic) are closer to \(other) than to the rest of their own topic"))
        }
        return KnowledgeBaseCheck(warnings: warnings, nearDuplicates: nearDuplicates, checkedPairs: checkedPairs)
    }
}
