import AMPSTerminal
import XCTest

final class ListStateTests: XCTestCase {
    func testScrollingKeepsSelectionVisibleWhileMovingDown() {
        var state = ListState()
        for step in 1...19 {
            state.moveSelection(by: 1, count: 20)
            state.scrollToSelection(visibleRows: 5, count: 20)
            XCTAssertEqual(state.selected, step)
            XCTAssertTrue((state.offset..<state.offset + 5).contains(step), "step \(step): offset \(state.offset)")
        }
        XCTAssertEqual(state.offset, 15)
        state.moveSelection(by: 1, count: 20)
        XCTAssertEqual(state.selected, 19, "clamped at the end")
    }

    func testScrollsTheLeastAmount() {
        var state = ListState(selected: 10, offset: 8)
        state.scrollToSelection(visibleRows: 5, count: 20)
        XCTAssertEqual(state.offset, 8, "already visible: no scroll")
        state.moveSelection(by: -4, count: 20)
        state.scrollToSelection(visibleRows: 5, count: 20)
        XCTAssertEqual(state.offset, 6, "scrolled up just enough")
        state.select(13, count: 20)
        state.scrollToSelection(visibleRows: 5, count: 20)
        XCTAssertEqual(state.offset, 9, "scrolled down just enough")
    }

    func testShrinkingListOrGrowingViewportPullsOffsetBack() {
        var state = ListState(selected: 19, offset: 15)
        state.scrollToSelection(visibleRows: 10, count: 20)
        XCTAssertEqual(state.offset, 10)
        state.scrollToSelection(visibleRows: 10, count: 5)
        XCTAssertEqual(state.selected, 4)
        XCTAssertEqual(state.offset, 0)
    }

    func testEmptyListAndPositionText() {
        var state = ListState(selected: 3, offset: 2)
        state.scrollToSelection(visibleRows: 4, count: 0)
        XCTAssertNil(state.selected)
        XCTAssertEqual(state.offset, 0)
        XCTAssertEqual(state.positionText(count: 0), "0/0")
        XCTAssertEqual(ListState(selected: 2).positionText(count: 9), "3/9")
        var last = ListState()
        last.selectLast(count: 4)
        XCTAssertEqual(last.selected, 3)
    }
}
