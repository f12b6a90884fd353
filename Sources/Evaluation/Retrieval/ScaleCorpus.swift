import Foundation
import VividCrowdCore

/// A seeded corpus for index benchmarks at any size whose documents are distinct and whose vocabulary follows real
/// text: terms ranked as real text ranks them, drawn with Zipf-like frequencies, with topics so that terms co-occur.
///
/// English ranks the words of the text the project ships by their frequency there and continues the ranking past
/// them with pronounceable words from a character model of those words (real text's long tail of rare words, names
/// and typos, which an index treats alike); frequencies follow Zipf–Mandelbrot, 1 / (rank + 2.7). Chinese draws
/// jieba's dictionary words by the frequencies in that dictionary, joins them into a text of 35–100 characters and
/// indexes what the segmenter makes of it. Each query is two to four terms of one document, so it has a true hit.
public struct ScaleCorpus: Sendable {
    /// Which kind of text the corpus imitates.
    public enum Language: String, Sendable, CaseIterable, Codable {
        case english
        case chinese
    }

    public let language: Language
    /// Each document's terms, as an index receives them.
    public let documents: [[String]]
    /// Queries as term lists.
    public let queries: [[String]]
    /// For each query, a document that holds all its terms.
    public let queryOrigins: [Int]

    /// A corpus of given documents and queries (`queryOrigins` may be empty when unknown).
    public init(language: Language, documents: [[String]], queries: [[String]], queryOrigins: [Int]) {
        self.language = language
        self.documents = documents
        self.queries = queries
        self.queryOrigins = queryOrigins
    }

    /// Distinct terms across the documents.
    public var vocabularySize: Int {
        var terms = Set<String>()
        for document in documents { terms.formUnion(document) }
        return terms.count
    }

    /// Distinct documents (by their term sequence; a 64-bit hash, so a collision would undercount by one).
    public var distinctDocumentCount: Int {
        var seen = Set<Int>()
        seen.reserveCapacity(documents.count)
        for document in documents { seen.insert(document.hashValue) }
        return seen.count
    }

    /// An English corpus of `documentCount` documents of 20–60 words.
    /// - Parameters:
    ///   - realText: the text whose words, ranked by frequency, head the vocabulary.
    ///   - vocabularySize: the ranked vocabulary's size, the real words first.
    public static func english(
        documentCount: Int, queryCount: Int, realText: [String], vocabularySize: Int = 300_000, seed: UInt64 = 2026
    ) -> ScaleCorpus {
        var generator = SeededGenerator(seed: seed)
        let ranked = RankedVocabulary.english(realText: realText, size: vocabularySize, using: &generator)
        let sampler = ZipfSampler(weights: (0..<ranked.count).map { 1 / (Double($0) + 1 + 2.7) })
        let topics = TopicTerms(count: 1000, termsPerTopic: 40, ranks: min(50, ranked.count)..<min(20_000, ranked.count),
                                using: &generator)
        var documents: [[String]] = []
        documents.reserveCapacity(documentCount)
        for _ in 0..<documentCount {
            let length = Int.random(in: 20...60, using: &generator)
            let topic = topics.random(using: &generator)
            documents.append((0..<length).map { _ in
                ranked[topics.draw(topic, else: sampler, using: &generator)]
            })
        }
        let (queries, origins) = drawQueries(queryCount, from: documents, using: &generator)
        return ScaleCorpus(language: .english, documents: documents, queries: queries, queryOrigins: origins)
    }

    /// A Chinese corpus of `documentCount` texts of 35–100 characters, segmented by `segment`.
    /// - Parameter dictionary: words with their frequencies (jieba's `dict.txt`).
    public static func chinese(
        documentCount: Int, queryCount: Int, dictionary: [(word: String, frequency: Int)], seed: UInt64 = 2026,
        segment: (String) -> [String]
    ) -> ScaleCorpus {
        var generator = SeededGenerator(seed: seed)
        let entries = dictionary.filter { $0.frequency > 0 && !$0.word.isEmpty }
            .sorted { ($0.frequency, $1.word) > ($1.frequency, $0.word) }
        let words = entries.map(\.word)
        let lengths = words.map(\.count)
        let sampler = ZipfSampler(weights: entries.map { Double($0.frequency) })
        let topics = TopicTerms(count: 1000, termsPerTopic: 40, ranks: min(200, words.count)..<min(30_000, words.count),
                                using: &generator)
        var documents: [[String]] = []
        documents.reserveCapacity(documentCount)
        for _ in 0..<documentCount {
            let target = Int.random(in: 35...100, using: &generator)
            let topic = topics.random(using: &generator)
            var text = ""
            var characters = 0
            while characters < target {
                let word = topics.draw(topic, else: sampler, using: &generator)
                // Stop short rather than run past 100 characters; a minimum-length document always fits.
                if characters + lengths[word] > 100 {
                    if characters >= 35 { break }
                    continue
                }
                text += words[word]
                characters += lengths[word]
            }
            documents.append(segment(text))
        }
        let (queries, origins) = drawQueries(queryCount, from: documents, using: &generator)
        return ScaleCorpus(language: .chinese, documents: documents, queries: queries, queryOrigins: origins)
    }

    private static func drawQueries(
        _ count: Int, from documents: [[String]], using generator: inout SeededGenerator
    ) -> ([[String]], [Int]) {
        var queries: [[String]] = []
        var origins: [Int] = []
        guard !documents.isEmpty else { return ([], []) }
        while queries.count < count {
            let origin = Int.random(in: 0..<documents.count, using: &generator)
            var terms = Array(Set(documents[origin])).sorted()
            guard !terms.isEmpty else { continue }
            terms.shuffle(using: &generator)
            queries.append(Array(terms.prefix(Int.random(in: 2...4, using: &generator))))
            origins.append(origin)
        }
        return (queries, origins)
    }
}

/// Draws indices in proportion to fixed weights, by binary search over their running totals.
struct ZipfSampler: Sendable {
    private let cumulative: [Double]

    init(weights: [Double]) {
        var total = 0.0
        cumulative = weights.map { weight in
            total += weight
            return total
        }
    }

    func sample(using generator: inout SeededGenerator) -> Int {
        guard let total = cumulative.last, total > 0 else { return 0 }
        let target = Double.random(in: 0..<total, using: &generator)
        var low = 0, high = cumulative.count - 1
        while low < high {
            let middle = (low + high) / 2
            if cumulative[middle] > target { high = middle } else { low = middle + 1 }
        }
        return low
    }
}

/// Topics as small sets of mid-frequency terms: a document draws some of its words from its topic, so that the
/// terms of a query co-occur as they do in real text rather than independently.
struct TopicTerms: Sendable {
    /// Share of a document's words drawn from its topic.
    static let share = 0.3
    private let terms: [[Int]]

    init(count: Int, termsPerTopic: Int, ranks: Range<Int>, using generator: inout SeededGenerator) {
        terms = ranks.isEmpty ? [] : (0..<count).map { _ in
            (0..<termsPerTopic).map { _ in Int.random(in: ranks, using: &generator) }
        }
    }

    func random(using generator: inout SeededGenerator) -> Int {
        terms.isEmpty ? 0 : Int.random(in: 0..<terms.count, using: &generator)
    }

    func draw(_ topic: Int, else sampler: ZipfSampler, using generator: inout SeededGenerator) -> Int {
        if !terms.isEmpty, Double.random(in: 0..<1, using: &generator) < Self.share {
            return terms[topic].randomElement(using: &generator) ?? sampler.sample(using: &generator)
        }
        return sampler.sample(using: &generator)
    }
}

/// English terms in rank order: real words by their frequency, then generated ones.
enum RankedVocabulary {
    static func english(realText: [String], size: Int, using generator: inout SeededGenerator) -> [String] {
        var counts: [String: Int] = [:]
        for text in realText {
            for word in text.lowercased().split(whereSeparator: { !($0.isLetter && $0.isASCII) }) {
                counts[String(word), default: 0] += 1
            }
        }
        var ranked = counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map(\.key)
        guard ranked.count < size else { return Array(ranked.prefix(size)) }
        let model = CharacterTrigrams(words: ranked)
        var known = Set(ranked)
        while ranked.count < size {
            guard !model.isEmpty else {
                ranked.append("term\(ranked.count)")
                continue
            }
            var word = model.generate(using: &generator)
            // A small model soon repeats itself; compounds of its words (as real tails hold) keep the ranking growing.
            while known.contains(word) || word.count < 3 { word += model.generate(using: &generator) }
            known.insert(word)
            ranked.append(word)
        }
        return ranked
    }
}

/// A character trigram model of words, for pronounceable words that follow English spelling.
struct CharacterTrigrams {
    private static let boundary: Character = "^"
    private static let end: Character = "$"
    private var next: [String: [Character]] = [:]

    /// True when no word of two or more letters was given, so nothing can be generated.
    var isEmpty: Bool { next.isEmpty }

    init(words: [String]) {
        for word in words where word.count >= 2 {
            let characters = [Self.boundary, Self.boundary] + Array(word) + [Self.end]
            for index in 2..<characters.count {
                next[String(characters[(index - 2)..<index]), default: []].append(characters[index])
            }
        }
    }

    func generate(using generator: inout SeededGenerator) -> String {
        var context = [Self.boundary, Self.boundary]
        var word = ""
        while word.count < 14 {
            guard let choices = next[String(context)], let character = choices.randomElement(using: &generator),
                  character != Self.end
            else { break }
            word.append(character)
            context = [context[1], character]
        }
        return word
    }
}
