import Foundation
import Testing
import VividCrowdCore
import VividCrowdDocuments
import VividCrowdTesting
import ZIPFoundation

/// A ZIP archive in memory holding `parts` (path and text), deflated.
private func archive(_ parts: [(String, String)]) throws -> Data {
    let archive = try Archive(data: Data(), accessMode: .create)
    for (path, text) in parts {
        let bytes = Data(text.utf8)
        try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(bytes.count), compressionMethod: .deflate) { position, size in
            bytes.subdata(in: Int(position)..<Int(position) + size)
        }
    }
    return try #require(archive.data)
}

/// A one-sheet workbook whose sheet XML is `sheet`.
private func workbook(sheet: String, sharedStrings: [String] = []) throws -> Data {
    let shared = sharedStrings.map { "<si><t xml:space=\"preserve\">\($0)</t></si>" }.joined()
    return try archive([
        ("xl/workbook.xml", #"<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="价格" sheetId="1" r:id="rId7"/></sheets></workbook>"#),
        ("xl/_rels/workbook.xml.rels", #"<Relationships><Relationship Id="rId7" Target="worksheets/prices.xml"/></Relationships>"#),
        ("xl/sharedStrings.xml", "<sst>\(shared)</sst>"),
        ("xl/worksheets/prices.xml", "<worksheet><sheetData>\(sheet)</sheetData></worksheet>"),
    ])
}

@Suite struct XLSXReaderTests {
    @Test func theShippedMaterialsReadWithTheirSheetsRowsAndCells() throws {
        let url = repositoryRoot.appendingPathComponent("corpora/sales/materials/电话邀约SOP&话术.xlsx")
        let sheets = try XLSXReader().sheets(of: Data(contentsOf: url))
        #expect(sheets.map(\.name) == ["普通客户话术", "直接检测客户话术和流程"])
        let first = try #require(sheets.first)
        #expect(first.rows.first?.number == 1 && first.rows.first?.cells[0]?.contains("电话邀约SOP") == true)
        #expect(first.rows[1].number == 2 && first.rows[1].cells == [1: "邀约sop", 2: "邀约话术"])
        #expect(first.rows[2].cells[0] == "1" && first.rows[2].cells[1] == "自我介绍")
        let prices = try XLSXReader().sheets(of: Data(contentsOf: repositoryRoot.appendingPathComponent("corpora/sales/materials/怡安然检测项目价格表.xlsx")))
        let online = prices[0].rows.first { $0.cells[1] == "线上咨询" }
        #expect(online?.number == 4 && online?.cells[3] == "1980" && online?.cells[4] == "次")
    }

    @Test func cellTypesShowAsTextAndColumnsFollowTheirReferences() throws {
        let data = try workbook(
            sheet: #"<row r="3"><c r="B3" t="s"><v>1</v></c><c r="D3"><v>12.5</v></c><c r="E3"><v>3</v></c><c r="F3" t="b"><v>1</v></c><c r="AA3" t="inlineStr"><is><t>内联</t></is></c><c r="G3" t="str"><f>A1</f><v>计算</v></c></row><row r="5"><c r="A5" t="s"><v>0</v></c></row>"#,
            sharedStrings: ["名称", "线下咨询"])
        let sheet = try #require(try XLSXReader().sheets(of: data).first)
        #expect(sheet.name == "价格")
        #expect(sheet.rows.map(\.number) == [3, 5])
        #expect(sheet.rows[0].cells == [1: "线下咨询", 3: "12.5", 4: "3", 5: "TRUE", 26: "内联", 6: "计算"])
        #expect(sheet.rows[1].cells == [0: "名称"])
    }

    @Test func badWorkbooksAreClearErrors() throws {
        #expect(throws: SpreadsheetError.unreadable) { try XLSXReader().sheets(of: Data("not a zip at all".utf8)) }
        #expect(throws: SpreadsheetError.unreadable) { try XLSXReader().sheets(of: try archive([("readme.txt", "hello")])) }
        #expect(throws: SpreadsheetError.empty) { try XLSXReader().sheets(of: try workbook(sheet: "<row r=\"1\"></row>")) }
        #expect(throws: SpreadsheetError.malformed(part: "xl/worksheets/prices.xml")) {
            try XLSXReader().sheets(of: try workbook(sheet: "<row r=\"1\"><c r=\"A1\"><v>1</v></row>"))
        }
        #expect(throws: SpreadsheetError.malformed(part: "xl/worksheets/prices.xml")) {
            try XLSXReader().sheets(of: try workbook(sheet: #"<row r="1"><c r="A1" t="s"><v>99</v></c></row>"#, sharedStrings: ["x"]))
        }
        // A megabyte of one letter deflates to about a kilobyte: refused by what it unpacks to, not by its size.
        let bomb = try workbook(sheet: "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>\(String(repeating: "a", count: 1 << 20))</t></is></c></row>")
        #expect(bomb.count < 50_000)
        #expect(throws: SpreadsheetError.tooLarge(limit: 512 * 1024)) { try XLSXReader(maximumUnpackedBytes: 512 * 1024).sheets(of: bomb) }
        var truncated = try Data(contentsOf: repositoryRoot.appendingPathComponent("corpora/sales/materials/电话邀约SOP&话术.xlsx"))
        truncated = truncated.prefix(truncated.count / 2)
        #expect(throws: SpreadsheetError.self) { try XLSXReader().sheets(of: truncated) }
    }
}
