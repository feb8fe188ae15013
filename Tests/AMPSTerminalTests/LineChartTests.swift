@testable import AMPSTerminal
import SnapshotSupport
import XCTest

final class LineChartTests: XCTestCase {
    let xs = stride(from: 0.0, through: 2.0, by: 0.25).map { $0 }
    let vision: [Double?] = [0.9, 0.88, 0.85, 0.7, 0.5, 0.3, 0.15, 0.1, 0.08]
    let text: [Double?] = [0.05, 0.07, 0.1, 0.25, 0.45, 0.65, 0.8, 0.85, 0.87]
    let other: [Double?] = [0.05, 0.05, 0.05, 0.05, nil, 0.05, 0.05, 0.05, 0.05]

    var chart: LineChart {
        LineChart(xs: xs, series: [ChartSeries(name: "P(vision)", values: vision),
                                   ChartSeries(name: "P(text)", values: text),
                                   ChartSeries(name: "P(other)", values: other)],
                  markers: [ChartMarker(x: 1.0, label: "a=1.00"), ChartMarker(x: 1.5, label: "flip"),
                            ChartMarker(x: 0.3, label: "collapse")])
    }

    /// Plot starts after "1.0" and the axis: x = 4, width 26 in a 30-wide area.
    func testMarkerColumnsAreHandComputed() {
        let markersOnly = LineChart(xs: xs, series: [], markers: [
            ChartMarker(x: 0, label: "L"), ChartMarker(x: 1, label: "M"), ChartMarker(x: 1.5, label: "F"),
            ChartMarker(x: 2, label: "R"),
        ])
        for context in [Contexts.rich, Contexts.plainASCII] {
            let frame = render(markersOnly, width: 30, height: 8, context: context)
            let g = markersOnly.geometry(in: frame.bounds, context: context)
            XCTAssertEqual(g.plot, Rect(x: 4, y: 1, width: 26, height: 5))
            // ASCII: 4 + round(t * 25); braille: 4 + round(t * 51) / 2. Both give these.
            let expected = [0.0: 4, 1.0: 17, 1.5: 23, 2.0: 29]
            for (x, column) in expected {
                XCTAssertEqual(g.column(forX: x), column, "x = \(x)")
                for y in g.plot.y..<g.plot.maxY {
                    XCTAssertEqual(frame[column, y].glyph, context.glyphs.markerLine, "x = \(x), row \(y)")
                }
            }
            XCTAssertEqual(frame.rowText(0), "    L            M     F     R")
        }
    }

    func testBrailleAndGlyphResolutionsDifferButAgreeOnMarkers() {
        let g1 = chart.geometry(in: Rect(x: 0, y: 0, width: 30, height: 10), context: Contexts.rich)
        let g2 = chart.geometry(in: Rect(x: 0, y: 0, width: 30, height: 10), context: Contexts.plainASCII)
        XCTAssertEqual(g1.dotWidth, 52)
        XCTAssertEqual(g2.dotWidth, 26)
        XCTAssertEqual(g1.column(forX: 0.3), 8)   // round(0.15 * 51) = 8 -> 8 / 2 = 4
        XCTAssertEqual(g2.column(forX: 0.3), 8)   // round(0.15 * 25) = 4
        XCTAssertEqual(g1.row(forY: 0.5), g1.plot.y + 3)   // round(0.5 * 23) / 4 = 12 / 4
        XCTAssertEqual(g2.row(forY: 0.5), g2.plot.y + 3)   // round(0.5 * 5)
        // A click on a column gives an x that maps back to that column.
        for g in [g1, g2] {
            for column in g.plot.x..<g.plot.maxX {
                XCTAssertEqual(g.column(forX: g.x(forColumn: column)!), column)
            }
            XCTAssertNil(g.x(forColumn: g.plot.x - 1))
            XCTAssertNil(g.x(forColumn: g.plot.maxX))
        }
    }

    func testAxisLabels() {
        let frame = render(chart, width: 30, height: 10, context: Contexts.plainASCII)
        let g = chart.geometry(in: frame.bounds, context: Contexts.plainASCII)
        XCTAssertEqual(g.plot.y, 2)
        XCTAssertEqual(String(frame.rowText(g.plot.y).prefix(4)), "1.0+")
        XCTAssertEqual(String(frame.rowText(g.plot.maxY - 1).prefix(4)), "0.0+")
        // Corner at the axis column 3, ticks at 4, 17 and 29; labels centred on ticks, kept inside.
        XCTAssertEqual(frame.rowText(8), "   ++------------+-----------+")
        XCTAssertEqual(frame.rowText(9), "   0.00         1.00      2.00")
    }

    func testBrailleColorSnapshot() {
        assertSnapshot(render(chart, width: 40, height: 10, context: Contexts.rich), named: "chart-braille-color")
    }

    func testASCIINoColorSnapshot() {
        assertSnapshot(render(chart, width: 40, height: 10, context: Contexts.plainASCII), named: "chart-ascii-nocolor")
    }

    func testMonoUnicodeUsesMarkersNotBraille() {
        let frame = render(chart, width: 40, height: 10, context: Contexts.monoUnicode)
        assertSnapshot(frame, named: "chart-mono-unicode")
        XCTAssertFalse(frame.cells.contains { ("\u{2800}"..."\u{28FF}").contains($0.glyph) })
    }

    func testInterpolationAndGaps() {
        let series = ChartSeries(name: "s", values: [0, 1, nil, 1])
        let c = LineChart(xs: [0, 1, 2, 3], series: [series])
        XCTAssertEqual(c.value(of: series, at: 0.5), 0.5)
        XCTAssertEqual(c.value(of: series, at: 1), 1)
        XCTAssertNil(c.value(of: series, at: 1.5))
        XCTAssertNil(c.value(of: series, at: 3.5))
    }
}
