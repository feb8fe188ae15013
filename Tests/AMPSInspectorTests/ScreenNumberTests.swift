@testable import AMPSInspector
import AMPSMethod
@testable import AMPSTerminal
import XCTest

/// Numbers on screen fit whatever their size: a huge alpha is exponential ("α 1e+60"), never
/// 61 digits; NaN never prints as a number; a chart marker far off the plot does not trap.
final class ScreenNumberTests: XCTestCase {
    func testPaneNumbersAreCompact() {
        XCTAssertEqual(PaneText.number(1e60, 2), "1e+60")
        XCTAssertEqual(PaneText.number(-123_456, 2), "-1.23e+05")
        XCTAssertEqual(PaneText.number(99_999.5, 1), "99999.5")
        XCTAssertEqual(PaneText.number(0.5, 2), "0.50")
        XCTAssertEqual(PaneText.number(.nan, 2), "n/a")
        XCTAssertEqual(PaneText.number(-.infinity, 2), "n/a")
    }

    func testAHugeAlphaRendersShortOnEveryPane() {
        for pane in Pane.allCases {
            var s = InspectorFixtures.populated(focus: pane)
            s.steering.alpha = 1e60
            if var a = s.answers { a.effectiveAlpha = 1e60; a.factor = .nan; s.answers = a }
            let text = InspectorScreen.render(&s, size: Size(width: 160, height: 48), context: .plainASCII).plainText()
            XCTAssertTrue(text.contains("a 1e+60") || text.contains("α 1e+60"), "\(pane): \(text)")
            XCTAssertFalse(text.contains("1000000000000"), "\(pane): a long digit run on screen")
            XCTAssertFalse(text.lowercased().contains("nan"), "\(pane): NaN printed")
        }
    }

    func testChartCoordinatesOfExtremeValuesDoNotTrap() {
        let g = ChartGeometry(plot: Rect(x: 0, y: 0, width: 20, height: 5), xRange: 0...4, yRange: 0...1, dotsPerColumn: 2, dotsPerRow: 4)
        XCTAssertEqual(g.dotColumn(forX: 2), 20)
        XCTAssertEqual(g.dotColumn(forX: 1e300), 1_000_000)
        XCTAssertEqual(g.dotColumn(forX: -.infinity), -1_000_000)
        XCTAssertEqual(g.dotRow(forY: .nan), 0)
    }
}
