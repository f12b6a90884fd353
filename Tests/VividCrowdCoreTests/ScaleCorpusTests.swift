import Foundation
import Testing
import VividCrowdCore
import VividCrowdEvaluation
import VividCrowdTesting

@Suite("Scale corpus")
struct ScaleCorpusTests {
    private let realText = [
        "the bank sent my card to the wrong address and the card has not arrived",
        "how do I change the address on my account before the card is sent",
        "what is the exchange rate for a transfer to another bank",
    ]

    @Test("the English corpus is seeded, of distinct 20–60 word documents, with a Zipf-like vocabulary headed by real words")
    func english() {
        let corpus = ScaleCorpus.english(documentCount: 3000, queryCount: 50, realText: realText, vocabularySize: 20_000, seed: 5)
        let again = ScaleCorpus.english(documentCount: 3000, queryCount: 50, realText: realText, vocabularySize: 20_000, seed: 5)
        let other = ScaleCorpus.english(documentCount: 3000, queryCount: 50, realText: realText, vocabularySize: 20_000, seed: 6)
        #expect(corpus.documents == again.documents && corpus.queries == again.queries)
        #expect(corpus.documents != other.documents)
        #expect(corpus.documents.allSatisfy { (20...60).contains($0.count) })
        #expect(corpus.distinctDocumentCount == 3000)
        var counts: [String: Int] = [:]
        for document in corpus.documents { for term in document { counts[term, default: 0] += 1 } }
        let ranked = counts.values.sorted(by: >)
        // The most frequent term is the real text's most frequent word, and frequencies fall with rank.
        #expect(counts.max { $0.value < $1.value }?.key == "the")
        #expect(ranked[0] > 3 * ranked[9] && ranked[9] > 3 * ranked[199])
        #expect(corpus.vocabularySize > 10_000)
        // With no real words at all the vocabulary is still filled.
        let bare = ScaleCorpus.english(documentCount: 10, queryCount: 2, realText: [], vocabularySize: 100, seed: 1)
        #expect(bare.documents.count == 10 && bare.vocabularySize > 10)
    }

    @Test("every query is two to four terms of the document it was drawn from, which BM25 then finds")
    func queriesHaveTrueHits() {
        let corpus = ScaleCorpus.english(documentCount: 2000, queryCount: 100, realText: realText, vocabularySize: 10_000, seed: 7)
        let index = BM25Index(documents: corpus.documents)
        #expect(corpus.queries.count == 100 && corpus.queryOrigins.count == 100)
        for (query, origin) in zip(corpus.queries, corpus.queryOrigins) {
            #expect((2...4).contains(query.count))
            #expect(Set(query).isSubset(of: Set(corpus.documents[origin])))
            #expect(index.scores(for: query)[origin] > 0)
        }
    }

    @Test("the Chinese corpus joins dictionary words into 35–100 character texts and indexes their segmentation")
    func chinese() throws {
        let dictionary = [("银行", 5000), ("卡", 3000), ("我的", 2500), ("地址", 800), ("转账", 600), ("汇率", 300), ("账户", 900)]
            .map { (word: $0.0, frequency: $0.1) }
        var texts: [String] = []
        let corpus = ScaleCorpus.chinese(documentCount: 500, queryCount: 20, dictionary: dictionary, seed: 3) { text in
            texts.append(text)
            return text.map(String.init)
        }
        #expect(texts.count == 500)
        #expect(texts.allSatisfy { (35...100).contains($0.count) })
        #expect(corpus.documents == texts.map { $0.map(String.init) })
        #expect(corpus.distinctDocumentCount == 500)
        for (query, origin) in zip(corpus.queries, corpus.queryOrigins) {
            #expect(Set(query).isSubset(of: Set(corpus.documents[origin])))
        }
    }

    @Test("pruned BM25 returns exactly the top-k and the scores of exhaustive scoring", arguments: [1, 3, 10, 100])
    func prunedEqualsExhaustive(k: Int) {
        // A small vocabulary makes common terms, long postings and equal scores, where pruning is most at risk.
        // 4,011 documents: the last block of 32 is partial; common terms keep pruning tables, rare ones do not.
        let corpus = ScaleCorpus.english(documentCount: 4011, queryCount: 300, realText: realText, vocabularySize: 3000, seed: 11)
        var index = BM25Index(documents: corpus.documents)
        index.pruningMinimumPostings = 0
        #expect(index.pruningTableBytes > 0)
        var generator = SeededGenerator(seed: 12)
        var queries = corpus.queries
        let common = ["the", "card", "bank", "my", "to"]
        for query in corpus.queries.prefix(100) {
            // Repeated terms, common terms and unknown terms, in varied order.
            var mixed = query + [common.randomElement(using: &generator)!, query[0], "unknownterm"]
            mixed.shuffle(using: &generator)
            queries.append(mixed)
            queries.append(Array(common.shuffled(using: &generator).prefix(Int.random(in: 1...5, using: &generator))))
        }
        var scratch = ScoreAccumulator(documentCount: index.documentCount)
        var pruned = 0
        for query in queries {
            let fast = index.search(query, k: k, scratch: &scratch)
            let reference = index.exhaustiveSearch(query, k: k, scratch: &scratch)
            #expect(fast == reference, "query \(query)")
            if fast.count == k { pruned += 1 }
        }
        #expect(pruned > queries.count / 2)
    }

    @Test("a query with a term in most documents (negative rank_bm25 idf) falls back to exhaustive scoring")
    func negativeIDF() {
        let documents = [["a", "b"], ["a", "c"], ["a", "b", "d"], ["e"]]
        var index = BM25Index(documents: documents)
        index.pruningMinimumPostings = 0
        var scratch = ScoreAccumulator(documentCount: documents.count)
        for query in [["a"], ["a", "b"], ["b", "a", "a"], ["d", "a"]] {
            #expect(index.search(query, k: 2, scratch: &scratch) == index.exhaustiveSearch(query, k: 2, scratch: &scratch))
        }
    }
}
