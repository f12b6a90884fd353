import Foundation
import Testing
import VividCrowdCore
import VividCrowdDocuments
import VividCrowdTesting

private func material(_ name: String) throws -> [SpreadsheetSheet] {
    try XLSXReader().sheets(of: Data(contentsOf: repositoryRoot.appendingPathComponent("corpora/sales/materials/\(name)")))
}

@Suite struct SalesMaterialUnitsTests {
    @Test func aSheetWithAHeaderRowGivesOneLabelledUnitPerRowUnderItsTitle() throws {
        let units = SalesMaterialUnits.units(of: try material("怡安然检测项目价格表.xlsx"))
        let online = try #require(units.first { $0.text.contains("线上咨询") })
        // Row 1 is the sheet's title, row 2 names the columns (their padding bars dropped).
        #expect(online.text == "项目字典信息：包含检查，治疗，检验，挂号费等项目 · 项目名称：线上咨询；零售价：1980；单位：次")
        #expect(online.sheet == "检测项目" && online.rows == 4...4)
        #expect(online.location(chinese: true) == "工作表「检测项目」第 4 行" && online.location(chinese: false) == "sheet 检测项目, row 4")
        #expect(units.map(\.index) == Array(units.indices))
        #expect(!units.contains { $0.text.contains("|项目名称") })
    }

    @Test func aSheetWithoutAHeaderGivesOneUnitPerBlockOfRows() throws {
        let units = SalesMaterialUnits.units(of: try material("百问百答-销售部话术.xlsx"))
        // Question and answer sit on consecutive rows, pairs apart by a blank row: one unit holds both, under the
        // sheet's title (row 2).
        let first = try #require(units.first { $0.text.contains("大的公立医院有这样的检测吗") })
        #expect(first.rows == 3...4 && first.text.hasPrefix("百问百答 · 1 问：") && first.text.contains("答：功能医学"))
        #expect(first.location(chinese: false) == "sheet Sheet1, rows 3–4")
        #expect(units.allSatisfy { $0.text.count <= SalesMaterialUnits.maximumRowBlockCharacters + 200 })
    }

    @Test func blocksAreCutAtRowsWhenTooLongAndBareNumbersAreNoUnits() {
        let long = String(repeating: "长", count: 700)
        let sheet = SpreadsheetSheet(name: "S", rows: [
            SpreadsheetRow(number: 1, cells: [0: long]), SpreadsheetRow(number: 2, cells: [0: long]),
            SpreadsheetRow(number: 4, cells: [0: "17"]),
        ])
        let units = SalesMaterialUnits.units(of: [sheet])
        #expect(units.map(\.rows) == [1...1, 2...2])
    }

    @Test func aPDFUnitIsRankedByItsOwnTextNotTheOverlapItCarries() throws {
        // Paragraphs long enough that the chunker carries the last sentence of one chunk into the next.
        let paragraphs = (1...6).map { number in
            (1...8).map { "第\(number)段的第\($0)句话讲的是电话邀约的一个步骤和它的要点。" }.joined()
        }
        let document = DocumentText(format: .pdf, pages: [paragraphs.joined(separator: "\n\n")])
        let chunks = DocumentChunker().chunks(of: document)
        let units = SalesMaterialUnits.units(of: document, chunker: DocumentChunker())
        let carried = try #require(chunks.first { $0.overlap > 0 })
        let unit = units[carried.index]
        #expect(unit.text == carried.text && unit.overlap == carried.overlap)
        #expect(unit.ownText == carried.ownText && !unit.ownText.isEmpty && unit.ownText.count < unit.text.count)
        #expect(units.filter { $0.overlap != nil }.count == chunks.filter { $0.overlap > 0 }.count)

        // Stored units written before the field existed, and spreadsheet rows, have no overlap: all their text ranks.
        let old = try JSONDecoder().decode(SalesMaterialUnit.self, from: Data(#"{"index":0,"text":"价格表","pages":[1,1]}"#.utf8))
        #expect(old.overlap == nil && old.ownText == "价格表")
        let row = SalesMaterialUnit(index: 0, text: "项目名称：线上咨询", sheet: "S", rows: 2...2)
        #expect(!String(decoding: try JSONEncoder().encode(row), as: UTF8.self).contains("overlap"))
    }
}
