import Foundation
import Testing
import VividCrowdCore
import VividCrowdTesting

@Suite("compiled segmentation tables")
struct CompiledTablesTests {
    /// A jieba data folder with a small dictionary and IDF table and the real HMM.
    private func dataFolder(_ folder: URL, dictionary: String, idf: String) throws -> URL {
        let data = folder.appendingPathComponent("jieba")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        try Data(dictionary.utf8).write(to: data.appendingPathComponent("dict.txt"))
        try Data(idf.utf8).write(to: data.appendingPathComponent("idf.txt"))
        for name in ["hmm_emit.tsv", "hmm_start_trans.tsv"] {
            try FileManager.default.copyItem(
                at: repositoryRoot.appendingPathComponent("corpora/jieba/\(name)"), to: data.appendingPathComponent(name))
        }
        return data
    }

    /// A temporary folder with the data folder and a directory to compile into.
    private func fixture() throws -> (folder: URL, data: URL, compiled: URL, tables: CompiledTables) {
        let folder = URL(fileURLWithPath: try temporaryDirectory())
        let data = try dataFolder(folder, dictionary: Self.dictionary, idf: Self.idf)
        let compiled = folder.appendingPathComponent("compiled")
        return (folder, data, compiled, CompiledTables(directory: compiled))
    }

    private static let dictionary = "苹果 30 n\n苹果树 12 n\n香蕉 20 n\n水果 50 n\n吃 40 v\n我 60 r\n喜欢 35 v\n"
    private static let idf = "苹果 8.5\n香蕉 9.1\n水果 6.2\n喜欢 4.4\n果园 10.5\n"
    private static let text = "我喜欢吃苹果和香蕉，苹果树在果园里。"

    private func compiledFiles(_ directory: URL) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "bin" }.sorted { $0.path < $1.path }
    }

    @Test("the first load compiles the tables into the directory; later loads map them and cut and rank as text-built tables do")
    func compiledOnceThenMapped() throws {
        let (folder, data, compiled, tables) = try fixture()
        defer { try? FileManager.default.removeItem(at: folder) }

        let inMemory = try JiebaSegmenter(directory: data, tables: CompiledTables(directory: nil))
        let inMemoryKeywords = try KeywordExtractor(segmenter: inMemory, idfFile: data.appendingPathComponent("idf.txt"))
        #expect(!inMemory.dictionary.isMapped && !inMemoryKeywords.isMapped)

        let first = try JiebaSegmenter(directory: data, tables: tables)
        let firstKeywords = try KeywordExtractor(segmenter: first, idfFile: data.appendingPathComponent("idf.txt"))
        #expect(try compiledFiles(compiled).count == 2)
        let again = try JiebaSegmenter(directory: data, tables: tables)
        let againKeywords = try KeywordExtractor(segmenter: again, idfFile: data.appendingPathComponent("idf.txt"))
        #expect(first.dictionary.isMapped && again.dictionary.isMapped && againKeywords.isMapped)

        #expect(again.cut(Self.text) == inMemory.cut(Self.text))
        #expect(again.cut(Self.text).contains("苹果树"))
        #expect(againKeywords.keywords(Self.text) == inMemoryKeywords.keywords(Self.text))
        #expect(firstKeywords.keywords(Self.text) == inMemoryKeywords.keywords(Self.text))
        for word in ["苹果", "苹果树", "香蕉", "苹", "梨"] {
            #expect(again.dictionary.frequency(of: word) == inMemory.dictionary.frequency(of: word), "\(word)")
        }
        #expect(again.dictionary.total == inMemory.dictionary.total)
    }

    @Test("a damaged or truncated compiled file is compiled again, never read")
    func damagedFilesAreRebuilt() throws {
        let (folder, data, compiled, tables) = try fixture()
        defer { try? FileManager.default.removeItem(at: folder) }
        let reference = try JiebaSegmenter(directory: data, tables: CompiledTables(directory: nil))
        _ = try JiebaSegmenter(directory: data, tables: tables)
        let file = try #require(try compiledFiles(compiled).first)
        let intact = try Data(contentsOf: file)

        var flipped = intact
        flipped[flipped.count - 3] ^= 0x5A
        for damaged in [flipped, intact.prefix(intact.count / 2), Data()] {
            try damaged.write(to: file)
            let loaded = try JiebaSegmenter(directory: data, tables: tables)
            #expect(loaded.dictionary.isMapped)
            #expect(loaded.cut(Self.text) == reference.cut(Self.text))
            #expect(try Data(contentsOf: file) == intact, "the file is written afresh")
        }
    }

    @Test("an edited dictionary gets a file of its own and the older one goes; an unwritable directory keeps the tables in memory")
    func editedSourcesAndUnwritableDirectories() throws {
        let (folder, data, compiled, tables) = try fixture()
        defer { try? FileManager.default.removeItem(at: folder) }
        let before = try JiebaSegmenter(directory: data, tables: tables)
        #expect(before.dictionary.frequency(of: "果园") == nil)
        try Data((Self.dictionary + "果园 25 n\n").utf8).write(to: data.appendingPathComponent("dict.txt"))
        let firstFile = try compiledFiles(compiled)
        let after = try JiebaSegmenter(directory: data, tables: tables)
        #expect(after.dictionary.frequency(of: "果园") == 25 && after.dictionary.isMapped)
        #expect(before.dictionary.frequency(of: "苹果") == 30, "the first dictionary still reads its unlinked file")
        let secondFile = try compiledFiles(compiled)
        #expect(firstFile.count == 1 && secondFile.count == 1 && firstFile != secondFile, "the older file is deleted")

        // A file where the directory should be: nothing can be written under it.
        let blocked = folder.appendingPathComponent("blocked")
        try Data("not a directory".utf8).write(to: blocked)
        let unwritable = try JiebaSegmenter(directory: data, tables: CompiledTables(directory: blocked))
        let keywords = try KeywordExtractor(segmenter: unwritable, idfFile: data.appendingPathComponent("idf.txt"))
        #expect(!unwritable.dictionary.isMapped && !keywords.isMapped)
        #expect(unwritable.cut(Self.text) == after.cut(Self.text))
        #expect(!keywords.keywords(Self.text).isEmpty)
    }

    @Test("IDF words outside the dictionary are found by binary search over their bytes, mapped as built")
    func outsideWords() throws {
        // 果园 is in the IDF table but not the dictionary; 果 is a prefix of it that neither holds.
        let (folder, data, _, tables) = try fixture()
        defer { try? FileManager.default.removeItem(at: folder) }
        let idf = Self.idf + "a 1.0\nzz 2.0\n苹果园 3.0\n"
        try Data(idf.utf8).write(to: data.appendingPathComponent("idf.txt"))
        let segmenter = try JiebaSegmenter(directory: data, tables: tables)
        for extractor in [
            try KeywordExtractor(segmenter: segmenter, idfFile: data.appendingPathComponent("idf.txt")),
            try KeywordExtractor(segmenter: segmenter, idfFile: data.appendingPathComponent("idf.txt")),
        ] {
            // Ranked by TF-IDF: 果园 (10.5) before the dictionary's words; the unknown 果 would take the median.
            #expect(extractor.keywords("果园 苹果 喜欢", limit: 3) == ["果园", "苹果", "喜欢"])
            #expect(extractor.keywords("喜欢 zz", limit: 1) == ["喜欢"])
        }
    }

    @Test("the cache directory is CACHE_DIR, else under XDG_CACHE_HOME, else under the home directory")
    func defaultDirectory() {
        #expect(CompiledTables.defaultDirectory(environment: ["CACHE_DIR": "/srv/cache", "HOME": "/home/a"]).path == "/srv/cache")
        #expect(CompiledTables.defaultDirectory(environment: ["XDG_CACHE_HOME": "/x", "HOME": "/home/a"]).path == "/x/vividcrowd")
        #expect(CompiledTables.defaultDirectory(environment: ["HOME": "/home/a"]).path == "/home/a/.cache/vividcrowd")
    }

    #if os(Linux)
    /// Kilobytes of this process's memory resident in mappings of files under `directory` (from /proc/self/smaps).
    private func residentKilobytes(mappedFrom directory: URL) throws -> Int {
        // Read to the end: /proc files report a size of 0, and the mappings of a test process run past one page.
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/proc/self/smaps"))
        defer { try? handle.close() }
        let smaps = String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
        var inside = false
        var total = 0
        for line in smaps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if let range = fields.first, range.contains("-"), range.allSatisfy({ $0.isHexDigit || $0 == "-" }) {
                inside = fields.count > 5 && fields[5].hasPrefix(directory.path)
            } else if inside, fields.first == "Rss:", let kilobytes = Int(fields[1]) {
                total += kilobytes
            }
        }
        return total
    }

    @Test("releasing the mapped tables' pages drops them from the process, and lookups read them again unchanged")
    func releasedPagesComeBack() throws {
        let (folder, data, compiled, tables) = try fixture()
        defer { try? FileManager.default.removeItem(at: folder) }
        _ = try JiebaSegmenter(directory: data, tables: tables)
        let segmenter = try JiebaSegmenter(directory: data, tables: tables)
        let keywords = try KeywordExtractor(segmenter: segmenter, idfFile: data.appendingPathComponent("idf.txt"))
        let cut = segmenter.cut(Self.text)
        let ranked = keywords.keywords(Self.text)
        #expect(try residentKilobytes(mappedFrom: compiled) > 0)

        tables.releaseResidentPages()
        #expect(try residentKilobytes(mappedFrom: compiled) == 0)
        #expect(segmenter.cut(Self.text) == cut)
        #expect(keywords.keywords(Self.text) == ranked)
        #expect(try residentKilobytes(mappedFrom: compiled) > 0)
    }
    #endif
}
