import AMPSTerminal
import SnapshotSupport
import XCTest

final class TextWidgetTests: XCTestCase {
    func testParagraphWrapsAndScrolls() {
        let paragraph = Paragraph("The model answers from the image until alpha reaches the flip point.")
        XCTAssertEqual(render(paragraph, width: 20, height: 3, context: Contexts.plainASCII).plainText(),
                       "The model answers\nfrom the image until\nalpha reaches the")
        var scrolled = paragraph
        scrolled.scrollOffset = 2
        XCTAssertEqual(render(scrolled, width: 20, height: 3, context: Contexts.plainASCII).plainText(),
                       "alpha reaches the\nflip point.\n")
        XCTAssertEqual(paragraph.lineCount(width: 20), 4)
    }

    func testCenteredParagraph() {
        let frame = render(Paragraph("ab cd", alignment: .center), width: 6, height: 1, context: Contexts.plainASCII)
        XCTAssertEqual(frame.rowText(0), "ab cd ")
        let frame2 = render(Paragraph("ab", alignment: .right), width: 6, height: 1, context: Contexts.plainASCII)
        XCTAssertEqual(frame2.rowText(0), "    ab")
    }

    func testStatusLine() {
        let status = StatusLine(left: [.text("instance 3/120"), .text("alpha 0.50", style: Style(attributes: .bold))],
                                right: [.keyHint("?", "help"), .keyHint("q", "quit")])
        let frame = render(status, width: 50, height: 1, context: Contexts.rich)
        assertSnapshot(frame, named: "status-color")
        XCTAssertEqual(frame.rowText(0), " instance 3/120  alpha 0.50    <?> help  <q> quit ")
        let mono = render(status, width: 50, height: 1, context: Contexts.plainASCII)
        assertSnapshot(mono, named: "status-ascii-nocolor")
    }

    func testStatusLineDropsKeyHintsBeforeTruncatingMessages() {
        let status = StatusLine(left: [.text("a long message about the run")], right: [.keyHint("q", "quit")])
        let frame = render(status, width: 30, height: 1, context: Contexts.plainASCII)
        XCTAssertEqual(frame.rowText(0), " a long message about the run ")
        let narrow = render(status, width: 16, height: 1, context: Contexts.plainASCII)
        XCTAssertEqual(narrow.rowText(0), " a long messag~ ")
    }

    func testTooSmallScreen() {
        let screen = TooSmallScreen(current: Size(width: 60, height: 20), required: Size(width: 80, height: 24))
        let frame = render(screen, width: 40, height: 8, context: Contexts.rich)
        assertSnapshot(frame, named: "too-small-color")
        XCTAssertEqual(frame.plainText(), """


                   Terminal too small
                  Current size: 60x20
                     Needed: 80x24
        Enlarge the window, or press q to quit.


        """)
        // Both dimensions are short, so both numbers are highlighted: the line starts at
        // (40 - 19) / 2 = 10, the numbers at 10 + 14 = 24 and 27.
        XCTAssertEqual(frame[23, 3].style, Contexts.rich.theme.text)
        XCTAssertEqual(frame[24, 3].style, Contexts.rich.theme.error)
        XCTAssertEqual(frame[26, 3].style, Contexts.rich.theme.text)
        XCTAssertEqual(frame[27, 3].style, Contexts.rich.theme.error)
    }

    func testTooSmallScreenHighlightsOnlyTheShortDimension() {
        let screen = TooSmallScreen(current: Size(width: 90, height: 20), required: Size(width: 80, height: 24), hint: nil)
        let frame = render(screen, width: 30, height: 3, context: Contexts.plainASCII)
        XCTAssertEqual(frame.plainText(), "      Terminal too small\n     Current size: 90x20\n        Needed: 80x24")
        // Line starts at (30 - 19) / 2 = 5: width 90 at 19 is fine, height 20 at 22 is short.
        XCTAssertEqual(frame[19, 1].style, Theme.monochrome.text)
        XCTAssertEqual(frame[22, 1].style, Theme.monochrome.error)
    }

    func testTinyTerminalGetsCompactMessage() {
        let screen = TooSmallScreen(current: Size(width: 16, height: 2), required: Size(width: 80, height: 24))
        let frame = render(screen, width: 16, height: 2, context: Contexts.plainASCII)
        XCTAssertEqual(frame.plainText(), "\n  16x2 < 80x24")
    }

    func testErrorScreen() {
        let screen = ErrorScreen(message: "cannot open checkpoint /models/llava: no such file or directory")
        let frame = render(screen, width: 40, height: 8, context: Contexts.rich)
        assertSnapshot(frame, named: "error-color")
        let plain = render(screen, width: 40, height: 8, context: Contexts.plainASCII)
        assertSnapshot(plain, named: "error-ascii-nocolor")
        XCTAssertTrue(plain.plainText().contains("Press q to quit."))
    }
}
