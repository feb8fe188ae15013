import AMPSTerminal
import SnapshotSupport
import XCTest

final class BarAndProgressTests: XCTestCase {
    let bars = BarChart(bars: [Bar("P(vision)", value: 0.625), Bar("P(text)", value: 0.3), Bar("P(other)", value: 0.075)])

    func testBarsInColor() {
        let frame = render(bars, width: 30, height: 3, context: Contexts.rich)
        assertSnapshot(frame, named: "bars-color")
        // 13-cell bar (30 - 9 label - 6 percent - 2 gaps): 0.625 * 104 eighths = 65 = 8 full + 1/8.
        XCTAssertEqual(frame.rowText(0), "P(vision) ████████▏░░░░  62.5%")
    }

    func testBarsWithoutColorInASCII() {
        let frame = render(bars, width: 30, height: 3, context: Contexts.plainASCII)
        assertSnapshot(frame, named: "bars-ascii-nocolor")
        XCTAssertEqual(frame.rowText(0), "P(vision) ########.....  62.5%")   // round(8.125) = 8 of 13
        XCTAssertEqual(frame.rowText(2), "P(other)  #............   7.5%")   // round(0.975) = 1
    }

    func testOutOfRangeValuesAreClamped() {
        let frame = render(BarChart(bars: [Bar("x", value: 1.7), Bar("y", value: -1)]), width: 14, height: 2,
                           context: Contexts.plainASCII)
        XCTAssertEqual(frame.plainText(), "x ##### 100.0%\ny .....   0.0%")
    }

    func testProgressBar() {
        let frame = render(ProgressBar(label: "loading", fraction: 0.5), width: 24, height: 1, context: Contexts.rich)
        assertSnapshot(frame, named: "progress-color")
        let plain = render(ProgressBar(label: "loading", fraction: 0.5), width: 24, height: 1, context: Contexts.plainASCII)
        XCTAssertEqual(plain.plainText(), "loading #####.....   50%")
    }

    func testIndeterminateProgressAndSpinner() {
        let frame = render(ProgressBar(label: "loading", fraction: nil, tick: 1), width: 24, height: 1,
                           context: Contexts.plainASCII)
        XCTAssertEqual(frame.plainText(), "loading / working")
        XCTAssertEqual(Spinner(tick: 0).glyph(.unicode), "⠋")
        XCTAssertEqual(Spinner(tick: 11).glyph(.unicode), "⠙")
        XCTAssertEqual(Spinner(tick: -1).glyph(.ascii), "\\")
        let spinner = render(Spinner(tick: 2, label: "steering"), width: 12, height: 1, context: Contexts.plainASCII)
        XCTAssertEqual(spinner.plainText(), "- steering")
    }
}

final class SparklineTests: XCTestCase {
    func testLevelsGapsAndRecentValues() {
        let spark = Sparkline(values: [0, 0.25, 0.5, nil, 0.75, 1], range: 0...1)
        // Buckets of 8: 0 -> 0, 0.25 -> 2, 0.5 -> 4, 0.75 -> 6, 1 -> 7.
        XCTAssertEqual(render(spark, width: 6, height: 1, context: Contexts.rich).plainText(), "▁▃▅·▇█")
        XCTAssertEqual(render(spark, width: 6, height: 1, context: Contexts.plainASCII).plainText(), "_,~?*#")
        // Only the last three fit.
        XCTAssertEqual(render(spark, width: 3, height: 1, context: Contexts.rich).plainText(), "·▇█")
    }

    func testAutomaticRangeAndFlatSeries() {
        XCTAssertEqual(render(Sparkline(values: [10, 20]), width: 2, height: 1, context: Contexts.rich).plainText(), "▁█")
        XCTAssertEqual(render(Sparkline(values: [3, 3, 3]), width: 3, height: 1, context: Contexts.rich).plainText(), "▁▁▁")
    }

    func testColorOnlyWithColor() {
        let spark = Sparkline(values: [1], range: 0...1, color: .ansi(.green))
        XCTAssertEqual(render(spark, width: 1, height: 1, context: Contexts.rich)[0, 0].foreground, .ansi(.green))
        XCTAssertEqual(render(spark, width: 1, height: 1, context: Contexts.plainASCII)[0, 0].foreground, .default)
    }
}
