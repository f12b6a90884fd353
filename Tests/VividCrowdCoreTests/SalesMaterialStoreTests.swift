import Foundation
import Testing
import VividCrowdCore
import VividCrowdTesting

@Suite struct SalesMaterialStoreConformanceTests {
    @Test(arguments: StoreBackend.allCases)
    func aMaterialIsStoredWholeOnceByItsBytesListedAndDeleted(_ backend: StoreBackend) async throws {
        let store = try await backend.open().salesMaterials
        let date = Date(timeIntervalSince1970: 1_780_000_000)
        let units = [
            SalesMaterialUnit(index: 0, text: "项目名称：线上咨询；零售价：1980", sheet: "检测项目", rows: 4...4),
            SalesMaterialUnit(index: 1, text: "Q and A", sheet: "Sheet1", rows: 3...4),
        ]
        let sheet = try await store.createSalesMaterial(SalesMaterial(fileName: "价格表.xlsx", md5: "aa", format: .xlsx, units: units, createdAt: date))
        let pdf = try await store.createSalesMaterial(SalesMaterial(
            fileName: "sop.pdf", md5: "bb", format: .pdf, units: [SalesMaterialUnit(index: 0, text: "page text", pages: 2...3)], createdAt: date + 1))
        #expect(sheet.id != pdf.id)
        await #expect(throws: DuplicateKey.self) {
            try await store.createSalesMaterial(SalesMaterial(fileName: "again.xlsx", md5: "aa", format: .xlsx, units: units, createdAt: date))
        }
        #expect(try await store.salesMaterials() == [sheet, pdf])
        #expect(try await store.salesMaterialIDs() == [sheet.id, pdf.id])
        #expect(try await store.salesMaterial(md5: "bb")?.units.first?.pages == 2...3)
        #expect(try await store.salesMaterial(md5: "aa")?.units == units)
        #expect(try await store.deleteSalesMaterial(id: sheet.id))
        #expect(try await !store.deleteSalesMaterial(id: sheet.id))
        #expect(try await store.salesMaterials().map(\.id) == [pdf.id])
    }
}
