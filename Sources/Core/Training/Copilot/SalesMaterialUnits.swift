import Foundation

/// How sales materials become retrievable units.
public enum SalesMaterialUnits {
    /// Longest unit made of spreadsheet rows, in characters; a longer block is cut at row boundaries.
    public static let maximumRowBlockCharacters = 1_200

    /// A workbook's units. A sheet whose header row names its columns (the first of its first ten rows with two or
    /// more cells, none of them a number) gives one unit per row below it, each cell labelled with its column's name;
    /// rows above the header are the sheet's title. A sheet without one gives one unit per block of consecutive
    /// rows (a blank row ends a block), as question-and-answer sheets are laid out; a short single-cell first row is
    /// its title.
    public static func units(of sheets: [SpreadsheetSheet]) -> [SalesMaterialUnit] {
        var units: [SalesMaterialUnit] = []
        for sheet in sheets where !sheet.rows.isEmpty {
            let headerIndex = sheet.rows.prefix(10).firstIndex { row in
                row.cells.count >= 2 && row.cells.values.allSatisfy { Double($0.trimmingCharacters(in: .whitespaces)) == nil }
            }
            if let headerIndex {
                let labels = sheet.rows[headerIndex].cells.mapValues(label)
                let title = sheet.rows[..<headerIndex].flatMap { $0.cells.sorted { $0.key < $1.key }.map(\.value) }.joined(separator: " ")
                for row in sheet.rows[(headerIndex + 1)...] {
                    let cells = row.cells.sorted { $0.key < $1.key }.map { column, value in
                        labels[column].map { "\($0)：\(value)" } ?? value
                    }
                    // A row of nothing but a running number says nothing.
                    guard cells.contains(where: { Double($0) == nil }) else { continue }
                    let text = (title.isEmpty ? "" : "\(title) · ") + cells.joined(separator: "；")
                    units.append(SalesMaterialUnit(index: units.count, text: text, sheet: sheet.name, rows: row.number...row.number))
                }
            } else {
                var rows = sheet.rows[...]
                var title = ""
                if rows.count > 1, let first = rows.first, first.cells.count == 1, let only = first.cells.values.first, only.count <= 30 {
                    title = only
                    rows = rows.dropFirst()
                }
                var block: [SpreadsheetRow] = []
                var length = 0
                func flush() {
                    defer { block = []; length = 0 }
                    let lines = block.map { $0.cells.sorted { $0.key < $1.key }.map(\.value).joined(separator: " ") }
                    guard let first = block.first, let last = block.last, lines.contains(where: { Double($0) == nil }) else { return }
                    units.append(SalesMaterialUnit(
                        index: units.count, text: (title.isEmpty ? "" : "\(title) · ") + lines.joined(separator: "\n"), sheet: sheet.name,
                        rows: first.number...last.number))
                }
                for row in rows {
                    let size = row.cells.values.reduce(0) { $0 + $1.count }
                    if let last = block.last, row.number != last.number + 1 || length + size > maximumRowBlockCharacters { flush() }
                    block.append(row)
                    length += size
                }
                flush()
            }
        }
        return units
    }

    /// A PDF's (or text's) units: the document's chunks with their pages.
    public static func units(of document: DocumentText, chunker: DocumentChunker) -> [SalesMaterialUnit] {
        chunker.chunks(of: document).map { chunk in
            SalesMaterialUnit(
                index: chunk.index, text: chunk.text, pages: chunk.pages, overlap: chunk.overlap > 0 ? chunk.overlap : nil)
        }
    }

    /// A header cell as a column name: without the bars and spaces spreadsheets pad them with.
    static func label(_ header: String) -> String {
        header.trimmingCharacters(in: CharacterSet(charactersIn: "|｜ \t\n:："))
    }
}
