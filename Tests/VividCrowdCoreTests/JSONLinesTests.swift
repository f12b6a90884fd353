import Foundation
import Testing
import VividCrowdCore

@Suite("JSON Lines")
struct JSONLinesTests {
    @Test("only \\n separates lines: a U+2028 or U+0085 inside a string stays in its line, and numbers count blank lines")
    func separators() throws {
        let text = "{\"query\": \"a\u{2028}b\", \"expected\": \"t\"}\r\n\n  \n{\"query\": \"c\u{85}d\", \"expected\": null}\n"
        let lines = JSONLines.lines(text)
        #expect(lines.map(\.number) == [1, 4])
        let queries = try LabelledQuery.load(jsonLines: Data(text.utf8), source: "t.jsonl")
        #expect(queries == [LabelledQuery(query: "a\u{2028}b", expected: "t"), LabelledQuery(query: "c\u{85}d", expected: nil)])
    }

    @Test("a malformed line is named by its number in the file, blank lines counted")
    func lineNumbers() {
        let text = "{\"query\": \"a\", \"expected\": null}\n\n\nnot json\n"
        #expect { _ = try LabelledQuery.load(jsonLines: Data(text.utf8), source: "t.jsonl") } throws: { error in
            (error as? KnowledgeBaseImportError)?.line == 4
        }
    }
}
