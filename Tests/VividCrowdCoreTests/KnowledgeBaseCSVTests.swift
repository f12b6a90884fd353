import Foundation
import Testing
@testable import VividCrowdCore
import VividCrowdTesting

@Suite("Knowledge-base CSV")
struct KnowledgeBaseCSVTests {
    @Test("quoted fields keep commas, doubled quotes and newlines; CRLF and blank lines are handled")
    func rfc4180() throws {
        let text = "a,b\r\n\"x, y\",\"say \"\"hi\"\"\"\r\n\r\n\"multi\nline\",z\n"
        let records = try CSVReader.records(text)
        #expect(records.map(\.fields) == [["a", "b"], ["x, y", "say \"hi\""], ["multi\nline", "z"]])
        #expect(records.map(\.line) == [1, 2, 4])
    }

    @Test("an unterminated quote is reported with the line it opened on")
    func unterminated() {
        #expect(throws: CSVReader.UnterminatedQuote(line: 2)) { try CSVReader.records("a,b\n\"open,c\nmore\n") }
    }

    private let header = "该类型被提问次数,精炼主题名称,典型用户提问,结构化标准话术（列表）,此话题需关注的风险或注意事项\n"

    @Test("the original qa.csv imports: 499 rows, UTF-8 with BOM, scripts with newlines")
    func originalFile() throws {
        let data = try Data(contentsOf: repositoryRoot.appendingPathComponent("corpora/seed/qa.csv"))
        let (entries, encoding) = try KnowledgeBaseCSV.parse(data)
        #expect(entries.count == 499)
        #expect(encoding == .utf8)
        #expect(entries[0].topicName == "儿童餐食多样性评估")
        #expect(entries[0].standardScript.contains("\n"))
        #expect(entries[0].questionCount == 95)
    }

    @Test("GB18030/GBK files are detected and decoded")
    func gb18030() throws {
        let text = header + "3,退款政策,怎么退款？,七天内可申请退款。,注意核实订单\n"
        let encoded = try #require(TextDecoding.encode(text, as: "GB18030"))
        #expect(String(validating: encoded, as: UTF8.self) == nil)
        let (entries, encoding) = try KnowledgeBaseCSV.parse(encoded)
        #expect(encoding == .gb18030)
        #expect(entries.first?.topicName == "退款政策")
        #expect(entries.first?.riskNotes == "注意核实订单")
    }

    @Test("several phrasings in one cell become one entry's phrasings")
    func phrasings() throws {
        let text = header + "1,退款,\"怎么退款？\n如何申请退款\",七天内可申请退款。,\n"
        let entries = try KnowledgeBaseCSV.parse(Data(text.utf8)).entries
        #expect(entries[0].phrasings == ["怎么退款？", "如何申请退款"])
    }

    @Test(
        "bad rows are rejected with their line and column",
        arguments: [
            ("1,a,b,c\n", "line 2: 4 columns; expected 5"),
            ("1,a,b,c,d,e\n", "line 2: 6 columns; expected 5"),
            ("1,,q,s,r\n", "line 2, column topic_name: must not be empty"),
            ("1,t,q,,r\n", "line 2, column standard_script: must not be empty"),
            ("many,t,q,s,r\n", "line 2, column question_count"),
            ("1,t,q,s,r\n2,t,\"q\n", "line 3: a quoted field is never closed"),
        ])
    func badRows(body: String, message: String) {
        #expect {
            _ = try KnowledgeBaseCSV.parse(Data((self.header + body).utf8))
        } throws: { error in
            String(describing: error).hasPrefix(message)
        }
    }

    @Test("oversized fields, empty files and non-text bytes are rejected clearly")
    func limits() {
        let long = String(repeating: "长", count: KnowledgeBaseCSV.maximumFieldCharacters + 1)
        #expect { _ = try KnowledgeBaseCSV.parse(Data((header + "1,t,q,\(long),r\n").utf8)) } throws: { error in
            String(describing: error).contains("column standard_script") && String(describing: error).contains("limit")
        }
        #expect { _ = try KnowledgeBaseCSV.parse(Data()) } throws: { error in
            String(describing: error).contains("empty")
        }
        #expect { _ = try KnowledgeBaseCSV.parse(Data(header.utf8)) } throws: { error in
            String(describing: error).contains("no data rows")
        }
        #expect { _ = try KnowledgeBaseCSV.parse(Data([0x81, 0x30, 0xFF, 0xFF, 0x00, 0x81])) } throws: { error in
            String(describing: error).contains("encoding")
        }
    }
}

@Suite("Control characters in knowledge bases")
struct KnowledgeBaseControlCharacterTests {
    @Test("NUL and other control characters are rejected with line and column; tabs and line breaks are text",
          arguments: [("\u{0}", "0000"), ("\u{1B}", "001B"), ("\u{7F}", "007F")])
    func controls(_ character: String, _ code: String) throws {
        let header = "question_count,topic_name,typical_question,standard_script,risk_notes\n"
        let csv = header + "1,t,q?,fine,\n2,u,other?,bad\(character)script,\n"
        #expect(throws: KnowledgeBaseImportError(line: 3, column: "standard_script", reason: "holds the control character U+\(code)")) {
            try KnowledgeBaseCSV.parse(Data(csv.utf8))
        }
        let tabs = header + "1,t,q?,\"a\tb\nc\",\n"
        #expect(try KnowledgeBaseCSV.parse(Data(tabs.utf8)).entries.first?.standardScript == "a\tb\nc")
    }
}
