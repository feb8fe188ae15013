@testable import AMPSTerminal
import XCTest

final class FrameTests: XCTestCase {
    func testNewFrameIsBlank() {
        let frame = Frame(width: 3, height: 2)
        XCTAssertEqual(frame.cells.count, 6)
        XCTAssertTrue(frame.cells.allSatisfy { $0 == .blank })
        XCTAssertEqual(frame.plainText(), "\n")
    }

    func testPutWritesOneColumnPerCharacterAndReturnsNextColumn() {
        var frame = Frame(width: 6, height: 1)
        let next = frame.put("ab", x: 1, y: 0, style: Style(foreground: .ansi(.red)))
        XCTAssertEqual(next, 3)
        XCTAssertEqual(frame.rowText(0), " ab   ")
        XCTAssertEqual(frame[1, 0].foreground, .ansi(.red))
        XCTAssertEqual(frame[0, 0], .blank)
    }

    func testPutClipsAtFrameEdges() {
        var frame = Frame(width: 4, height: 2)
        frame.put("abcdef", x: 2, y: 0)
        frame.put("xyz", x: -2, y: 1)
        frame.put("never", x: 0, y: 5)
        frame.put("never", x: 0, y: -1)
        XCTAssertEqual(frame.plainText(), "  ab\nz")
    }

    func testPutClipsToClipRect() {
        var frame = Frame(width: 8, height: 3)
        let clip = Rect(x: 2, y: 1, width: 3, height: 1)
        frame.put("abcdefgh", x: 0, y: 1, clip: clip)
        frame.put("outside", x: 0, y: 0, clip: clip)
        XCTAssertEqual(frame.plainText(), "\n  cde\n")
    }

    func testControlCharactersAreReplaced() {
        var frame = Frame(width: 4, height: 1)
        frame.put("a\tb\u{1B}", x: 0, y: 0)
        XCTAssertEqual(frame.rowText(0), "a b?")
    }

    func testFillAndSetStyle() {
        var frame = Frame(width: 5, height: 3)
        frame.fill(Rect(x: 1, y: 1, width: 10, height: 10), glyph: "#")
        XCTAssertEqual(frame.plainText(), "\n ####\n ####")
        frame.setStyle(Style(attributes: .reverse), in: Rect(x: 0, y: 1, width: 2, height: 1))
        XCTAssertEqual(frame[1, 1].glyph, "#")
        XCTAssertEqual(frame[1, 1].attributes, .reverse)
        XCTAssertEqual(frame[0, 1].attributes, .reverse)
        XCTAssertEqual(frame[2, 1].attributes, [])
    }

    func testSubscriptOutsideIsBlankAndIgnored() {
        var frame = Frame(width: 2, height: 2)
        frame[5, 5] = Cell("x")
        XCTAssertEqual(frame[5, 5], .blank)
        XCTAssertEqual(frame[-1, 0], .blank)
    }

    func testBlitClips() {
        var small = Frame(width: 2, height: 2)
        small.fill(small.bounds, glyph: "o")
        var frame = Frame(width: 3, height: 3)
        frame.blit(small, x: 2, y: 2)
        XCTAssertEqual(frame.plainText(), "\n\n  o")
    }

    func testConvertedDownConvertsEveryCell() {
        var frame = Frame(width: 2, height: 1)
        frame.put("ab", x: 0, y: 0, style: Style(foreground: .rgb(255, 0, 0), background: .indexed(21), attributes: .bold))
        let none = frame.converted(to: .none)
        XCTAssertEqual(none[0, 0].style, Style(attributes: .bold))
        let ansi = frame.converted(to: .ansi16)
        XCTAssertEqual(ansi[1, 0].foreground, .ansi(.brightRed))
        XCTAssertEqual(ansi[1, 0].background, .ansi(.blue))
    }

    func testPlainTextTrimsTrailingSpacesOnly() {
        var frame = Frame(width: 6, height: 2)
        frame.put(" a b ", x: 0, y: 0)
        XCTAssertEqual(frame.plainText(), " a b\n")
    }

    func testStyledTextAssignsCodesInReadingOrder() {
        var frame = Frame(width: 4, height: 2)
        frame.put("ab", x: 0, y: 0, style: Style(foreground: .ansi(.cyan), attributes: .bold))
        frame.put("c", x: 3, y: 0, style: Style(background: .indexed(196)))
        frame.put("d", x: 1, y: 1, style: Style(foreground: .ansi(.cyan), attributes: .bold))
        frame.put("e", x: 2, y: 1, style: Style(foreground: .rgb(255, 136, 0), attributes: [.reverse, .underline]))
        XCTAssertEqual(frame.styledText(), """
        --- glyphs ---
        ab c
         de
        --- styles ---
        AA.B
        .AC
        --- legend ---
        . fg=default bg=default
        A fg=cyan bg=default bold
        B fg=default bg=idx196
        C fg=#ff8800 bg=default reverse underline
        """)
    }

    func testRectSplitsAndInsets() {
        let rect = Rect(x: 2, y: 3, width: 10, height: 4)
        XCTAssertEqual(rect.inset(by: 1), Rect(x: 3, y: 4, width: 8, height: 2))
        XCTAssertEqual(rect.inset(by: 5).isEmpty, true)
        XCTAssertEqual(rect.splitTop(1).top, Rect(x: 2, y: 3, width: 10, height: 1))
        XCTAssertEqual(rect.splitTop(1).rest, Rect(x: 2, y: 4, width: 10, height: 3))
        XCTAssertEqual(rect.splitRight(3).right, Rect(x: 9, y: 3, width: 3, height: 4))
        XCTAssertEqual(rect.centered(width: 4, height: 2), Rect(x: 5, y: 4, width: 4, height: 2))
        XCTAssertEqual(rect.intersection(Rect(x: 0, y: 0, width: 4, height: 4)), Rect(x: 2, y: 3, width: 2, height: 1))
    }

    func testLayoutDistributesFixedThenFlexibleWithExactTotal() {
        XCTAssertEqual(Layout.distribute(20, [.fixed(5), .fill, .flexible(weight: 2)]), [5, 5, 10])
        XCTAssertEqual(Layout.distribute(10, [.fill, .fill, .fill]), [4, 3, 3])
        XCTAssertEqual(Layout.distribute(3, [.fixed(5), .fill]), [3, 0])
        let parts = Layout.split(Rect(x: 1, y: 0, width: 10, height: 2), .horizontal, [.fixed(4), .fill])
        XCTAssertEqual(parts, [Rect(x: 1, y: 0, width: 4, height: 2), Rect(x: 5, y: 0, width: 6, height: 2)])
    }
}
