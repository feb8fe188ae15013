@testable import AMPSTerminal
import SnapshotSupport
import XCTest

final class HelpOverlayTests: XCTestCase {
    var sections: [HelpSection] {
        var map = TestAction.defaults
        map.bind(.unboundByDefault, to: [.character("r")])
        return map.helpSections()
    }

    func testOverlayCentredOverContent() {
        var frame = Frame(width: 46, height: 14)
        frame.fill(frame.bounds, glyph: "x")
        HelpOverlay(sections: sections, footer: "? to close").draw(into: &frame, area: frame.bounds, context: Contexts.rich)
        assertSnapshot(frame, named: "help-color")
        // 13 rows of box centred in 14: the last row is outside it.
        XCTAssertEqual(frame.rowText(13), String(repeating: "x", count: 46), "outside the box is untouched")
    }

    func testOverlayWithoutColorInASCII() {
        var frame = Frame(width: 46, height: 14)
        HelpOverlay(sections: sections).draw(into: &frame, area: frame.bounds, context: Contexts.plainASCII)
        assertSnapshot(frame, named: "help-ascii-nocolor")
    }

    func testSectionsFlowIntoColumnsWhenTooTall() {
        let overlay = HelpOverlay(sections: sections)
        // Heights: General 3, Navigation 3, Steering 3, separated by blank lines: 11 in one column.
        XCTAssertEqual(HelpOverlay.height(of: sections), 11)
        XCTAssertEqual(overlay.columns(height: 11, width: 100).count, 1)
        XCTAssertEqual(overlay.columns(height: 7, width: 100).map { $0.map(\.title) },
                       [["General"], ["Navigation", "Steering"]])
        // Two columns of 33 plus a 3-column gap, plus border and padding: 73 wide.
        var frame = Frame(width: 76, height: 9)
        overlay.draw(into: &frame, area: frame.bounds, context: Contexts.plainASCII)
        assertSnapshot(frame, named: "help-two-columns", format: .plain)
    }

    func testScrollsWhenEvenColumnsDoNotFit() {
        var frame = Frame(width: 40, height: 6)
        HelpOverlay(sections: sections, scrollOffset: 2).draw(into: &frame, area: frame.bounds, context: Contexts.plainASCII)
        let text = frame.plainText()
        XCTAssertTrue(text.contains("3-6/11"), text)
        XCTAssertTrue(text.contains("?        Show or hide this help"), text)
        XCTAssertFalse(text.contains("General"), text)
    }
}
