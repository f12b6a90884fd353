import Foundation
import Testing
import VividCrowdCore
import VividCrowdTesting

/// jieba's data, loaded once for all tests.
let sharedSegmenter: JiebaSegmenter = {
    try! JiebaSegmenter(directory: repositoryRoot.appendingPathComponent("corpora/jieba"))
}()

struct SegmentationFixture: Decodable {
    let text: String
    let tokens: [String]
}

func loadFixture<T: Decodable>(_ path: String, as type: T.Type = T.self) throws -> T {
    try JSONDecoder().decode(T.self, from: Data(contentsOf: repositoryRoot.appendingPathComponent("Tests/Fixtures/\(path)")))
}

/// Share of the reference tokens (as scalar spans) that the segmenter also produced.
func spanAgreement(_ fixtures: [SegmentationFixture]) -> (agreement: Double, exactTexts: Int) {
    var matched = 0
    var total = 0
    var exact = 0
    for fixture in fixtures {
        let ours = sharedSegmenter.cut(fixture.text)
        if ours == fixture.tokens { exact += 1 }
        func spans(_ tokens: [String]) -> Set<Range<Int>> {
            var position = 0
            return Set(tokens.map { token in
                defer { position += token.unicodeScalars.count }
                return position..<position + token.unicodeScalars.count
            })
        }
        let reference = spans(fixture.tokens)
        matched += reference.intersection(spans(ours)).count
        total += reference.count
    }
    return (total == 0 ? 1 : Double(matched) / Double(total), exact)
}

@Suite("jieba-compatible segmentation")
struct SegmentationTests {
    @Test("agrees with Python jieba 0.42.1 on the original qa.csv questions and scripts", arguments: ["qa", "twins", "mixed"])
    func agreement(fixture name: String) throws {
        let fixtures: [SegmentationFixture] = try loadFixture("jieba/\(name).json")
        let result = spanAgreement(fixtures)
        print("jieba agreement on \(name): \(result.agreement * 100)% of tokens, \(result.exactTexts)/\(fixtures.count) texts identical")
        #expect(result.agreement >= 0.995)
    }

    @Test("mixed scripts, digits, symbols and whitespace segment exactly as jieba does")
    func mixedExactly() throws {
        let fixtures: [SegmentationFixture] = try loadFixture("jieba/mixed.json")
        for fixture in fixtures {
            #expect(sharedSegmenter.cut(fixture.text) == fixture.tokens, "\(fixture.text)")
        }
    }

    @Test("unknown words are found by the HMM")
    func hmmFindsUnknownWords() {
        // 杭研 is not in the dictionary; jieba's HMM joins it.
        #expect(sharedSegmenter.cut("他来到了网易杭研大厦") == ["他", "来到", "了", "网易", "杭研", "大厦"])
        #expect(sharedSegmenter.dictionary.frequency(of: "杭研") == nil)
    }

    @Test("keywords match jieba.analyse.extract_tags top 20")
    func keywords() throws {
        struct KeywordFixture: Decodable { let text: String; let keywords: [String] }
        let extractor = try KeywordExtractor(
            segmenter: sharedSegmenter, idfFile: repositoryRoot.appendingPathComponent("corpora/jieba/idf.txt"))
        let fixtures: [KeywordFixture] = try loadFixture("jieba/keywords.json")
        var identical = 0
        for fixture in fixtures where extractor.keywords(fixture.text) == fixture.keywords { identical += 1 }
        #expect(identical == fixtures.count)
    }

    @Test("a malformed dictionary or IDF line is refused with its line number (blank lines counted); CRLF and padding are read")
    func malformedDataFiles() throws {
        let folder = URL(fileURLWithPath: try temporaryDirectory())
        defer { try? FileManager.default.removeItem(at: folder) }
        let dictionary = folder.appendingPathComponent("dict.txt")
        try Data("苹果 30 n\r\n\n  香蕉 20 n  \n".utf8).write(to: dictionary)
        let tables = CompiledTables(directory: folder.appendingPathComponent("compiled"))
        let loaded = try JiebaDictionary(contentsOf: dictionary, tables: tables)
        #expect(loaded.frequency(of: "苹果") == 30 && loaded.frequency(of: "香蕉") == 20 && loaded.total == 50)
        try Data("苹果 30 n\n\n香蕉 many n\n".utf8).write(to: dictionary)
        #expect(throws: SegmentationDataError.self) { _ = try JiebaDictionary(contentsOf: dictionary, tables: tables) }
        do { _ = try JiebaDictionary(contentsOf: dictionary, tables: tables) } catch {
            #expect((error as? SegmentationDataError)?.line == 3)
        }

        let idf = folder.appendingPathComponent("idf.txt")
        for (text, line) in [("苹果 1.5\n\n香蕉\n", 3), ("苹果 1.5\n香蕉 inf\n", 2), ("苹果 1.5 2.0\n", 1)] {
            try Data(text.utf8).write(to: idf)
            do {
                _ = try KeywordExtractor(segmenter: sharedSegmenter, idfFile: idf)
                Issue.record("\(text.debugDescription) was accepted")
            } catch {
                #expect((error as? SegmentationDataError)?.line == line, "\(error)")
            }
        }
    }

    @Test("the Porter stemmer gives the published stems")
    func porterStems() {
        // Porter (1980)'s examples and NLTK's PorterStemmer(mode=ORIGINAL_ALGORITHM) on the rest.
        let expected = [
            "caresses": "caress", "ponies": "poni", "cats": "cat", "feed": "feed", "agreed": "agre", "plastered": "plaster",
            "motoring": "motor", "sing": "sing", "hopping": "hop", "falling": "fall", "filing": "file", "happy": "happi",
            "relational": "relat", "conditional": "condit", "generalizations": "gener", "refunds": "refund",
            "refunded": "refund", "transferring": "transfer", "activate": "activ", "adjustment": "adjust",
            "effective": "effect", "hopeful": "hope", "goodness": "good", "controll": "control", "roll": "roll",
        ]
        for (word, stem) in expected { #expect(PorterStemmer.stem(word) == stem, "\(word)") }
        #expect(PorterStemmer.stem("café") == "café")
        #expect(PorterStemmer.stem("is") == "is")
    }

    @Test("search terms are lower-cased, width-folded, stemmed, and free of punctuation and stop words")
    func searchTerms() {
        let tokenizer = SearchTokenizer(segmenter: sharedSegmenter)
        #expect(tokenizer.terms("How do I RESET my Ｐａｓｓｗｏｒｄ?") == ["how", "reset", "password"])
        #expect(tokenizer.terms("Refunds refunded, cards activated") == ["refund", "refund", "card", "activ"])
        #expect(tokenizer.terms("我的订单什么时候发货？iPhone 15 价格8.5折") == ["订单", "什么", "时候", "发货", "iphon", "15", "价格", "8.5", "折"])
        #expect(tokenizer.terms("Café déjà vu — naïve") == ["café", "déjà", "vu", "naïve"])
        #expect(tokenizer.terms("   ！！？ ") == [])
    }
}
