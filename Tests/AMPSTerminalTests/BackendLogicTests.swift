@testable import AMPSTerminal
import XCTest

/// The pure parts of the ncurses backend: key translation, frame diffing, colour pairs,
/// colour numbers. Codes are ncurses' documented values (curses.h), written as literals so
/// the test does not just compare the code with itself.
final class BackendLogicTests: XCTestCase {
    func testCharacterTranslation() {
        XCTAssertEqual(CursesKeyTranslator.translate(character: 13), .enter)
        XCTAssertEqual(CursesKeyTranslator.translate(character: 10), .enter)
        XCTAssertEqual(CursesKeyTranslator.translate(character: 9), .tab)
        XCTAssertEqual(CursesKeyTranslator.translate(character: 27), .escape)
        XCTAssertEqual(CursesKeyTranslator.translate(character: 127), .backspace)
        XCTAssertEqual(CursesKeyTranslator.translate(character: 8), .backspace)
        XCTAssertEqual(CursesKeyTranslator.translate(character: 3), .control("c"))
        XCTAssertEqual(CursesKeyTranslator.translate(character: 26), .control("z"))
        XCTAssertEqual(CursesKeyTranslator.translate(character: 32), .space)
        XCTAssertEqual(CursesKeyTranslator.translate(character: 113), .character("q"))
        XCTAssertEqual(CursesKeyTranslator.translate(character: 0xE9), .character("é"))
        XCTAssertNil(CursesKeyTranslator.translate(character: 0))
        XCTAssertNil(CursesKeyTranslator.translate(character: 28))
        XCTAssertNil(CursesKeyTranslator.translate(character: 0x85))
    }

    func testKeyCodeTranslation() {
        XCTAssertEqual(CursesKeyTranslator.translate(keyCode: 0o403), .up)
        XCTAssertEqual(CursesKeyTranslator.translate(keyCode: 0o402), .down)
        XCTAssertEqual(CursesKeyTranslator.translate(keyCode: 0o404), .left)
        XCTAssertEqual(CursesKeyTranslator.translate(keyCode: 0o405), .right)
        XCTAssertEqual(CursesKeyTranslator.translate(keyCode: 0o406), .home)
        XCTAssertEqual(CursesKeyTranslator.translate(keyCode: 0o550), .end)
        XCTAssertEqual(CursesKeyTranslator.translate(keyCode: 0o523), .pageUp)
        XCTAssertEqual(CursesKeyTranslator.translate(keyCode: 0o522), .pageDown)
        XCTAssertEqual(CursesKeyTranslator.translate(keyCode: 0o407), .backspace)
        XCTAssertEqual(CursesKeyTranslator.translate(keyCode: 0o512), .delete)
        XCTAssertEqual(CursesKeyTranslator.translate(keyCode: 0o541), .backTab)
        XCTAssertEqual(CursesKeyTranslator.translate(keyCode: 0o527), .enter)
        XCTAssertEqual(CursesKeyTranslator.translate(keyCode: 0o410 + 1), .function(1))
        XCTAssertEqual(CursesKeyTranslator.translate(keyCode: 0o410 + 12), .function(12))
        XCTAssertNil(CursesKeyTranslator.translate(keyCode: 0o410 + 13))
        XCTAssertEqual(CursesKeyTranslator.translate(keyCode: 0o632), .resize)
    }

    func testMouseTranslation() {
        // ncurses mouse version 2: 5 bits per button; PRESSED = 2, CLICKED = 4.
        XCTAssertEqual(CursesKeyTranslator.translate(mouseState: 0o2, x: 4, y: 7),
                       .mouse(MouseEvent(button: .left, x: 4, y: 7)))
        XCTAssertEqual(CursesKeyTranslator.translate(mouseState: 0o4, x: 1, y: 1),
                       .mouse(MouseEvent(button: .left, x: 1, y: 1)))
        XCTAssertEqual(CursesKeyTranslator.translate(mouseState: 0o2 << 10, x: 0, y: 0),
                       .mouse(MouseEvent(button: .right, x: 0, y: 0)))
        XCTAssertEqual(CursesKeyTranslator.translate(mouseState: 0o2 << 15, x: 2, y: 3),
                       .mouse(MouseEvent(button: .wheelUp, x: 2, y: 3)))
        XCTAssertEqual(CursesKeyTranslator.translate(mouseState: 0o2 << 20, x: 2, y: 3),
                       .mouse(MouseEvent(button: .wheelDown, x: 2, y: 3)))
        XCTAssertNil(CursesKeyTranslator.translate(mouseState: 0o1, x: 0, y: 0), "release is not an event")
    }

    func testFrameDiffWithoutPreviousCoversEverything() {
        let frame = Frame(width: 3, height: 2)
        XCTAssertEqual(FrameDiff.changedRuns(from: nil, to: frame),
                       [.init(y: 0, x: 0, count: 3), .init(y: 1, x: 0, count: 3)])
        XCTAssertEqual(FrameDiff.changedRuns(from: Frame(width: 2, height: 2), to: frame).count, 2)
    }

    func testFrameDiffFindsChangedRuns() {
        let previous = Frame(width: 8, height: 2)
        var next = previous
        next.put("ab", x: 1, y: 0)
        next.put("z", x: 7, y: 0)
        next.put("x", x: 0, y: 1, style: Style(attributes: .bold))
        next[4, 1] = Cell(" ", style: Style(background: .ansi(.red)))   // same glyph, new style
        XCTAssertEqual(FrameDiff.changedRuns(from: previous, to: next), [
            .init(y: 0, x: 1, count: 2), .init(y: 0, x: 7, count: 1),
            .init(y: 1, x: 0, count: 1), .init(y: 1, x: 4, count: 1),
        ])
        XCTAssertEqual(FrameDiff.changedRuns(from: next, to: next), [])
    }

    func testColorPairCacheAllocatesOnceAndRespectsCapacity() {
        var cache = ColorPairCache(capacity: 3)   // pairs 1 and 2 usable
        let red = ColorPairCache.Key(foreground: 1, background: -1)
        let blue = ColorPairCache.Key(foreground: 4, background: -1)
        let green = ColorPairCache.Key(foreground: 2, background: -1)
        XCTAssertEqual(cache.pair(for: .init(foreground: -1, background: -1))?.number, 0)
        XCTAssertEqual(cache.pair(for: red)?.number, 1)
        XCTAssertEqual(cache.pair(for: red)?.isNew, false)
        XCTAssertEqual(cache.pair(for: blue)?.number, 2)
        XCTAssertTrue(cache.isFull)
        XCTAssertNil(cache.pair(for: green))
        cache.removeAll()
        XCTAssertEqual(cache.pair(for: green)?.number, 1)
    }

    func testCursesColorNumbers() {
        let xterm256 = CursesColorNumbers(colors: 256, hasDefaultColors: true)
        XCTAssertEqual(xterm256.number(for: .default, isForeground: true).number, -1)
        XCTAssertEqual(xterm256.number(for: .ansi(.brightRed), isForeground: true).number, 9)
        XCTAssertEqual(xterm256.number(for: .indexed(110), isForeground: true).number, 110)
        XCTAssertEqual(xterm256.number(for: .rgb(255, 0, 0), isForeground: true).number, 196)

        let xterm8 = CursesColorNumbers(colors: 8, hasDefaultColors: false)
        XCTAssertEqual(xterm8.number(for: .default, isForeground: true).number, 7)
        XCTAssertEqual(xterm8.number(for: .default, isForeground: false).number, 0)
        let bright = xterm8.number(for: .ansi(.brightGreen), isForeground: true)
        XCTAssertEqual(bright.number, 2)
        XCTAssertTrue(bright.needsBold)
        XCTAssertFalse(xterm8.number(for: .ansi(.brightGreen), isForeground: false).needsBold)

        let direct = CursesColorNumbers(colors: 1 << 24, hasDefaultColors: true)
        XCTAssertEqual(direct.number(for: .rgb(0x12, 0x34, 0x56), isForeground: true).number, 0x123456)
        XCTAssertEqual(direct.number(for: .ansi(.red), isForeground: true).number, 1)
        XCTAssertEqual(direct.number(for: .ansi(.brightRed), isForeground: true).number, 0xFF0000)
        XCTAssertEqual(direct.number(for: .rgb(0, 0, 3), isForeground: true).number, 8, "0-7 mean ANSI colours")
    }

    func testInteractiveCheckMessages() {
        XCTAssertNil(InteractiveCheck.failureMessage(program: "amps", stdinIsTerminal: true, stdoutIsTerminal: true))
        XCTAssertEqual(InteractiveCheck.failureMessage(program: "amps", stdinIsTerminal: true, stdoutIsTerminal: false),
                       "amps: the interactive inspector needs a terminal, but standard output is not a terminal "
                       + "(redirected or piped?)")
        XCTAssertEqual(InteractiveCheck.failureMessage(program: "amps", stdinIsTerminal: false, stdoutIsTerminal: false),
                       "amps: the interactive inspector needs a terminal, but standard input and output are not "
                       + "terminals (redirected or piped?)")
        XCTAssertEqual(InteractiveCheck.exitStatus, 2)
    }
}
