@testable import AMPSInspector
import AMPSMethod
import AMPSTerminal
import XCTest
import SnapshotSupport

/// Every pane rendered into frames (no terminal, no model) and compared with the text
/// grids in Snapshots/: at 80x24 (the minimum; the focused pane is the one shown beside
/// the list) and at 160x48 (all panes), in colour and without colour/Unicode.
final class InspectorSnapshotTests: XCTestCase {
    let colour = RenderContext(colorMode: .ansi256, glyphs: .unicode)
    let plain = RenderContext.plainASCII

    func frame(_ pane: Pane, _ w: Int, _ h: Int, _ ctx: RenderContext) -> Frame {
        var s = InspectorFixtures.populated(focus: pane)
        return InspectorScreen.render(&s, size: Size(width: w, height: h), context: ctx)
    }

    func testEveryPaneAtTheMinimumSize() {
        for pane in Pane.allCases {
            assertSnapshot(frame(pane, 80, 24, colour), named: "pane-\(pane.rawValue)-80x24-colour")
            assertSnapshot(frame(pane, 80, 24, plain), named: "pane-\(pane.rawValue)-80x24-plain", format: .plain)
        }
    }

    func testEveryPaneAtALargeSize() {
        for pane in Pane.allCases {
            assertSnapshot(frame(pane, 160, 48, colour), named: "pane-\(pane.rawValue)-160x48-colour")
            assertSnapshot(frame(pane, 160, 48, plain), named: "pane-\(pane.rawValue)-160x48-plain", format: .plain)
        }
    }

    func testTooSmallScreenNamesTheSizeNeeded() {
        let f = frame(.list, 60, 20, plain)
        XCTAssertTrue(f.plainText().contains("80x24"), f.plainText())
        XCTAssertTrue(f.plainText().contains("60x20"), f.plainText())
        assertSnapshot(f, named: "too-small-60x20", format: .plain)
    }

    func testHelpIsGeneratedFromTheKeyTable() {
        var s = InspectorFixtures.populated(focus: .list)
        _ = s.apply(.help)
        var keys = InspectorAction.defaultKeyMap
        keys.bind(.cycleMode, to: [.character("x")])
        let f = InspectorScreen.render(&s, size: Size(width: 120, height: 50), context: plain, keyMap: keys)
        let text = f.plainText()
        XCTAssertTrue(text.contains(InspectorAction.cycleMode.helpText), text)
        XCTAssertTrue(text.contains("x"), text)
        assertSnapshot(f, named: "help-120x50", format: .plain)
    }

    func testPendingResultsShowProgressNotNumbers() {
        var s = InspectorFixtures.populated(focus: .map)
        s.mapRows = Array(repeating: nil, count: 8)
        s.mapRows[3] = InspectorFixtures.populated(focus: .map).mapRows[3]
        s.answers = nil
        let text = InspectorScreen.render(&s, size: Size(width: 160, height: 48), context: plain).plainText()
        XCTAssertTrue(text.contains("1/8 layers"), text)
        XCTAssertFalse(text.lowercased().contains("nan"), text)
    }
}
