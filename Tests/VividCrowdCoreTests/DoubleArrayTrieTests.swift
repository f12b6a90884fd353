import Foundation
import Testing
@testable import VividCrowdCore
import VividCrowdTesting

@Suite("double-array trie")
struct DoubleArrayTrieTests {
    /// Seeded words over a small alphabet (so that nodes have many children and placements collide) plus a few
    /// characters outside the directly indexed range.
    static func words(seed: UInt64, count: Int) -> [[UInt32]] {
        var generator = SeededGenerator(seed: seed)
        let alphabet: [UInt32] = Array(0x4E00..<0x4E40) + [0x41, 0x61, 0x30, 0x2D, 0x1F600, 0x20000, 0xFF21]
        return (0..<count).map { _ in
            (0..<Int(generator.next() % 6 + 1)).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }
        }
    }

    @Test("finds every word with its value and every prefix, and nothing else", arguments: [1, 2, 3] as [UInt64])
    func sameAsHashTrie(seed: UInt64) throws {
        var hashTrie = ScalarTrie()
        var expected: [[UInt32]: UInt32] = [:]
        for (index, word) in Self.words(seed: seed, count: 5_000).enumerated() {
            let inserted = hashTrie.insert(word)
            let node = try #require(inserted)
            let value = UInt32(index % 97 + 1)
            hashTrie.setValue(value, at: node)
            expected[word] = value
        }
        let trie = try #require(DoubleArrayTrie(hashTrie))
        for (word, value) in expected {
            let node = trie.node(for: word)
            #expect(node != DoubleArrayTrie.absent)
            #expect(trie.value(node) == value)
            for length in 1..<word.count {
                #expect(trie.node(for: word.prefix(length)) != DoubleArrayTrie.absent)
            }
        }
        // Words that are not there: their walk stops, or ends on a prefix without a value.
        var absentChecked = 0
        for word in Self.words(seed: seed &+ 100, count: 5_000) where expected[word] == nil {
            let node = trie.node(for: word)
            let isPrefix = expected.keys.contains { $0.count > word.count && Array($0.prefix(word.count)) == word }
            if node == DoubleArrayTrie.absent {
                #expect(!isPrefix)
            } else {
                #expect(isPrefix)
                #expect(trie.value(node) == 0)
            }
            absentChecked += 1
        }
        #expect(absentChecked > 1_000)
        // Characters no word holds, inside and outside the directly indexed range.
        #expect(trie.node(for: [0x4E00, 0x9FFF]) == DoubleArrayTrie.absent)
        #expect(trie.node(for: [0x10FFFF]) == DoubleArrayTrie.absent)
    }

    @Test("jieba's dictionary: every word's frequency as its file gives it")
    func jiebaDictionary() throws {
        let text = try String(
            contentsOf: repositoryRoot.appendingPathComponent("corpora/jieba/dict.txt"), encoding: .utf8)
        var frequencies: [String: Int64] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            frequencies[String(fields[0])] = Int64(fields[1])
        }
        let dictionary = sharedSegmenter.dictionary
        var checked = 0
        for (word, frequency) in frequencies where checked < 50_000 {
            #expect(dictionary.frequency(of: word) == frequency, "\(word)")
            checked += 1
        }
        #expect(dictionary.frequency(of: "中华人民共和国万岁万岁") == nil)
    }
}
