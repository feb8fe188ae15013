import AMPSTerminal
import XCTest

final class KeyMapTests: XCTestCase {
    func testLookupAndReverseLookup() {
        let map = TestAction.defaults
        XCTAssertEqual(map.action(for: .character("q")), .quit)
        XCTAssertEqual(map.action(for: .control("c")), .quit)
        XCTAssertEqual(map.action(for: .down), .moveDown)
        XCTAssertNil(map.action(for: .character("x")))
        XCTAssertEqual(map.keys(for: .quit), [.character("q"), .control("c")])
        XCTAssertEqual(map.keys(for: .unboundByDefault), [])
    }

    func testBindReplacesKeysAndStealsFromOtherActions() {
        var map = TestAction.defaults
        map.bind(.toggleHelp, to: [.function(1), .character("q")])
        XCTAssertEqual(map.keys(for: .toggleHelp), [.function(1), .character("q")])
        XCTAssertNil(map.action(for: .character("?")), "old key of the action is released")
        XCTAssertEqual(map.action(for: .character("q")), .toggleHelp)
        XCTAssertEqual(map.keys(for: .quit), [.control("c")], "stolen key leaves its old action")
    }

    func testBindWithDuplicateKeysKeepsOne() {
        var map = TestAction.defaults
        map.bind(.quit, to: [.character("x"), .character("x")])
        XCTAssertEqual(map.keys(for: .quit), [.character("x")])
    }

    func testUnbind() {
        var map = TestAction.defaults
        map.unbind(.character("k"))
        XCTAssertNil(map.action(for: .character("k")))
        XCTAssertEqual(map.keys(for: .moveUp), [.up])
    }

    func testActionNamed() {
        XCTAssertEqual(KeyMap<TestAction>.action(named: "toggle-help"), .toggleHelp)
        XCTAssertNil(KeyMap<TestAction>.action(named: "toggleHelp"))
    }

    func testHelpSectionsComeFromTheSameTable() {
        var map = TestAction.defaults
        map.bind(.unboundByDefault, to: [.character("r")])
        map.unbind(.character("+"))
        XCTAssertEqual(map.helpSections(), [
            HelpSection(title: "General", entries: [HelpEntry(keys: "q, C-c", description: "Quit"),
                                                    HelpEntry(keys: "?", description: "Show or hide this help")]),
            HelpSection(title: "Navigation", entries: [HelpEntry(keys: "up, k", description: "Select previous"),
                                                       HelpEntry(keys: "down, j", description: "Select next")]),
            HelpSection(title: "Steering", entries: [HelpEntry(keys: "r", description: "Something rare")]),
        ])
    }
}
