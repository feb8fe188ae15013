@testable import AMPSTerminal
import XCTest

final class KeyTests: XCTestCase {
    func testParsesDocumentedNames() {
        let cases: [(String, Key)] = [
            ("q", .character("q")), ("Q", .character("Q")), ("?", .character("?")), ("+", .character("+")),
            ("#", .character("#")), ("-", .character("-")), ("space", .space), ("tab", .tab), ("S-tab", .backTab),
            ("enter", .enter), ("esc", .escape), ("up", .up), ("down", .down), ("left", .left), ("right", .right),
            ("pgup", .pageUp), ("pgdn", .pageDown), ("home", .home), ("end", .end), ("backspace", .backspace),
            ("delete", .delete), ("insert", .insert), ("f1", .function(1)), ("f12", .function(12)),
            ("C-c", .control("c")), ("resize", .resize),
        ]
        for (name, key) in cases {
            XCTAssertEqual(Key(name: name), key, name)
        }
    }

    func testAliasesAndCaseInsensitiveNames() {
        XCTAssertEqual(Key(name: "Enter"), .enter)
        XCTAssertEqual(Key(name: "return"), .enter)
        XCTAssertEqual(Key(name: "ESCAPE"), .escape)
        XCTAssertEqual(Key(name: "PgDn"), .pageDown)
        XCTAssertEqual(Key(name: "pagedown"), .pageDown)
        XCTAssertEqual(Key(name: "backtab"), .backTab)
        XCTAssertEqual(Key(name: "ctrl-x"), .control("x"))
        XCTAssertEqual(Key(name: "ctrl+x"), .control("x"))
        XCTAssertEqual(Key(name: "^x"), .control("x"))
        XCTAssertEqual(Key(name: "C-X"), .control("x"))
        XCTAssertEqual(Key(name: "F5"), .function(5))
    }

    func testControlKeysThatTerminalsSendAsOtherKeysFold() {
        XCTAssertEqual(Key(name: "C-i"), .tab)
        XCTAssertEqual(Key(name: "C-m"), .enter)
        XCTAssertEqual(Key(name: "C-j"), .enter)
        XCTAssertEqual(Key(name: "C-h"), .backspace)
    }

    func testRejectsUnknownNames() {
        for name in ["", "qq", "f0", "f13", "f01", "f+1", "C-", "C-ab", "C-1", "ctrl-", "mouse-left", "mouse-foo@1,2",
                     "super-x", "\u{7}"] {
            XCTAssertNil(Key(name: name), name)
        }
    }

    func testNameRoundTripsForEveryKeyKind() {
        var keys: [Key] = [.enter, .escape, .tab, .backTab, .backspace, .delete, .insert, .up, .down, .left, .right,
                           .pageUp, .pageDown, .home, .end, .resize, .space, .character("q"), .character("Q"),
                           .character("?"), .character("#"), .character("é"),
                           .mouse(MouseEvent(button: .left, x: 3, y: 4)),
                           .mouse(MouseEvent(button: .wheelDown, x: 0, y: 10))]
        keys += (1...12).map(Key.function)
        keys += "abcdefgklnopqrstuvwxyz".map(Key.control)
        for key in keys {
            XCTAssertEqual(Key(name: key.name), key, "round trip of \(key.name)")
        }
        XCTAssertEqual(Key.space.name, "space")
        XCTAssertEqual(Key.backTab.name, "S-tab")
        XCTAssertEqual(Key.mouse(MouseEvent(button: .left, x: 3, y: 4)).name, "mouse-left@3,4")
    }

    func testBindability() {
        XCTAssertTrue(Key.character("q").isBindable)
        XCTAssertFalse(Key.resize.isBindable)
        XCTAssertFalse(Key.mouse(MouseEvent(button: .left, x: 0, y: 0)).isBindable)
    }
}
