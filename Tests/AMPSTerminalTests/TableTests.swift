import AMPSTerminal
import SnapshotSupport
import XCTest

final class TableTests: XCTestCase {
    let columns = [TableColumn("#", width: .fixed(3), alignment: .right),
                   TableColumn("Instance", width: .fill),
                   TableColumn("P(v)", width: .fixed(5), alignment: .right)]

    func rows(_ count: Int) -> [TableRow] {
        (0..<count).map { i in
            TableRow([String(i + 1), "image-\(i + 1)", NumberFormatting.fixed(Double(i) / 10, decimals: 2)],
                     style: i == 2 ? Style(attributes: .dim) : nil)
        }
    }

    func testScrolledSelectionInColor() {
        let table = Table(columns: columns, rows: rows(8))
        var state = ListState(selected: 5, offset: 0)
        var frame = Frame(width: 24, height: 5)
        table.draw(into: &frame, area: frame.bounds, context: Contexts.rich, state: &state)
        XCTAssertEqual(state.offset, 2, "selection 5 in 4 visible rows needs offset 2")
        assertSnapshot(frame, named: "table-color")
    }

    func testUnfocusedTableWithoutColorInASCII() {
        let table = Table(columns: columns, rows: rows(3), isFocused: false)
        var state = ListState(selected: 1)
        var frame = Frame(width: 20, height: 5)
        table.draw(into: &frame, area: frame.bounds, context: Contexts.plainASCII, state: &state)
        assertSnapshot(frame, named: "table-ascii-nocolor")
    }

    func testTableInBoxWithPositionFooter() {
        let table = Table(columns: columns, rows: rows(8))
        var state = ListState(selected: 7)
        var frame = Frame(width: 26, height: 6)
        Box(title: "Instances", footer: state.positionText(count: 8), isFocused: true)
            .draw(into: &frame, area: frame.bounds, context: Contexts.monoUnicode)
        table.draw(into: &frame, area: Box.contentArea(of: frame.bounds), context: Contexts.monoUnicode, state: &state)
        assertSnapshot(frame, named: "table-in-box-mono")
        XCTAssertTrue(frame.rowText(5).contains(" 8/8 "))
    }

    func testEmptyTable() {
        var state = ListState()
        var frame = Frame(width: 16, height: 3)
        Table(columns: columns, rows: [], emptyText: "no instances")
            .draw(into: &frame, area: frame.bounds, context: Contexts.plainASCII, state: &state)
        XCTAssertNil(state.selected)
        XCTAssertEqual(frame.plainText(), "  # Insta~  P(v)\nno instances\n")
    }

    func testColumnWidthsShareTheRest() {
        let table = Table(columns: columns, rows: [])
        XCTAssertEqual(table.columnWidths(totalWidth: 24), [3, 14, 5])
    }
}
