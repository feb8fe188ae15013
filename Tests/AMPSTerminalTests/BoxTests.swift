import AMPSTerminal
import SnapshotSupport
import XCTest

final class BoxTests: XCTestCase {
    func testFocusedAndUnfocusedBoxes() {
        var frame = Frame(width: 24, height: 4)
        Box(title: "Instances", footer: "3/120", isFocused: true)
            .draw(into: &frame, area: Rect(x: 0, y: 0, width: 12, height: 4), context: Contexts.rich)
        Box(title: "Layers").draw(into: &frame, area: Rect(x: 12, y: 0, width: 12, height: 4), context: Contexts.rich)
        assertSnapshot(frame, named: "box-color")
    }

    func testBoxesWithoutColorInASCII() {
        var frame = Frame(width: 24, height: 4)
        Box(title: "Instances", footer: "3/120", isFocused: true)
            .draw(into: &frame, area: Rect(x: 0, y: 0, width: 12, height: 4), context: Contexts.plainASCII)
        Box(title: "Layers").draw(into: &frame, area: Rect(x: 12, y: 0, width: 12, height: 4), context: Contexts.plainASCII)
        assertSnapshot(frame, named: "box-ascii-nocolor")
        XCTAssertEqual(frame.rowText(0), "+ Instanc~ ++ Layers --+")
    }

    func testLongTitleIsTruncatedAndContentAreaIsInside() {
        let frame = render(Box(title: "A very long title"), width: 10, height: 3, context: Contexts.rich)
        XCTAssertEqual(frame.plainText(), "┌ A ver… ┐\n│        │\n└────────┘")
        XCTAssertEqual(Box.contentArea(of: Rect(x: 0, y: 0, width: 10, height: 3)), Rect(x: 1, y: 1, width: 8, height: 1))
    }

    func testTooSmallAreaDrawsNothing() {
        let frame = render(Box(title: "x"), width: 1, height: 5, context: Contexts.rich)
        XCTAssertEqual(frame, Frame(width: 1, height: 5))
    }
}
