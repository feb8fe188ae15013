import AMPSTerminal
import SnapshotSupport
import XCTest

final class HeatmapTests: XCTestCase {
    /// Five layers x {vision, text, MCR}; layer 4 is still being computed.
    let heatmap = Heatmap(
        values: [[0.0, 0.1, 0.5], [0.25, 0.5, 0.75], [0.9, 1.0, nil], [0.4, 0.6, 0.55], [nil, nil, nil]],
        rowLabels: ["L0", "L1", "L2", "L3", "L4"],
        columnLabels: ["vision", "text", "MCR"],
        cellWidth: 4, markedRows: 1...2, markLabel: "steer")

    func testTruecolor() {
        assertSnapshot(render(heatmap, width: 40, height: 7, context: Contexts.rich), named: "heatmap-truecolor")
    }

    func testSixteenColors() {
        let frame = render(heatmap, width: 40, height: 7, context: Contexts.ansi16)
        assertSnapshot(frame, named: "heatmap-16")
        // 0.0 is the first ANSI step, 1.0 the last (row L2 is screen row 3, text column starts at x 7).
        XCTAssertEqual(frame[3, 1].background, .ansi(.blue))
        XCTAssertEqual(frame[7, 3].background, .ansi(.brightYellow))
    }

    func testNoColorASCIIUsesDensityGlyphs() {
        let frame = render(heatmap, width: 40, height: 7, context: Contexts.plainASCII)
        assertSnapshot(frame, named: "heatmap-ascii-nocolor")
        // Buckets of 9: 0.0 and 0.1 -> '.', 0.5 -> 4 '+', 0.9 and 1.0 -> 8 '@'; nil -> '?'; L2 is marked.
        XCTAssertEqual(frame.rowText(1).prefix(15), "L0 ........++++")
        XCTAssertEqual(frame.rowText(3).prefix(15), "L2|@@@@@@@@ ?  ")
    }

    func testNoColorUnicode() {
        assertSnapshot(render(heatmap, width: 40, height: 7, context: Contexts.monoUnicode), named: "heatmap-mono-unicode")
    }

    func testValuesPrintedInCellsAndCursor() {
        var map = heatmap
        map.showsValues = true
        map.cellWidth = 5
        map.cursor = Heatmap.Position(row: 3, column: 0)
        map.showsLegend = false
        let color = render(map, width: 20, height: 6, context: Contexts.ansi256)
        assertSnapshot(color, named: "heatmap-values-256")
        XCTAssertEqual(color.rowText(4), "L3 0.40 0.60 0.55   ")
        XCTAssertTrue(color[4, 4].attributes.contains(.reverse), "cursor cell is reversed")
        let plain = render(map, width: 20, height: 6, context: Contexts.plainASCII)
        assertSnapshot(plain, named: "heatmap-values-ascii-nocolor")
        XCTAssertEqual(plain.rowText(3), "L2|0.90 1.00   ?    ")
    }

    func testScrollsToKeepCursorRowVisible() {
        var map = heatmap
        map.cursor = Heatmap.Position(row: 4, column: 1)
        map.showsLegend = false
        let frame = render(map, width: 30, height: 3, context: Contexts.plainASCII)   // header + 2 rows
        XCTAssertEqual(frame.plainText(), "   vi~ te~ MCR\nL3 ====****++++\nL4  ?   ?   ?")
    }

    func testLegendSitsRightUnderTheRows() {
        let frame = render(heatmap, width: 40, height: 12, context: Contexts.plainASCII)
        XCTAssertEqual(frame.rowText(6).prefix(4), "0.00", "header + 5 rows, then the legend")
        XCTAssertEqual(frame.plainText().split(separator: "\n", omittingEmptySubsequences: false).count, 12)
        XCTAssertEqual(frame.rowText(7).trimmingCharacters(in: .whitespaces), "")
    }

    func testPendingOnlyLegendEntryWhenSomethingIsPending() {
        let done = Heatmap(values: [[0.5]], rowLabels: ["L0"], showsLegend: true)
        let frame = render(done, width: 30, height: 2, context: Contexts.plainASCII)
        XCTAssertEqual(frame.rowText(1).trimmingCharacters(in: .whitespaces), "0.00 .:-=+*#%@ 1.00")
    }
}
