import AMPSTerminal
import Foundation
import XCTest

final class ConfigTests: XCTestCase {
    let path = "/home/ana/.config/amps/config"

    /// Parses and applies `text`; returns the error message, or nil on success.
    func errorMessage(_ text: String, extraOptions: [ConfigOption] = []) -> String? {
        var config = UserConfig(keyMap: TestAction.defaults)
        do {
            try config.apply(try ConfigFile.parse(text, path: path), extraOptions: extraOptions)
            return nil
        } catch {
            return error.description
        }
    }

    func testFullExampleApplies() throws {
        let text = """
        # my bindings
          # indented comment

        bind quit x C-q
        bind toggle-help ? f1 #
        unbind k
        set color-mode 256
        set glyphs ascii
        set mouse off
        set refresh-ms 40
        """
        var config = UserConfig(keyMap: TestAction.defaults)
        let refresh = ConfigOption(name: "refresh-ms", expected: "a number of milliseconds") { Int($0) != nil }
        try config.apply(try ConfigFile.parse(text, path: path), extraOptions: [refresh])
        XCTAssertEqual(config.keyMap.keys(for: .quit), [.character("x"), .control("q")])
        XCTAssertNil(config.keyMap.action(for: .character("q")))
        XCTAssertEqual(config.keyMap.keys(for: .toggleHelp), [.character("?"), .function(1), .character("#")])
        XCTAssertEqual(config.keyMap.keys(for: .moveUp), [.up])
        XCTAssertEqual(config.settings, TerminalSettings(colorMode: .ansi256, glyphs: .ascii, mouse: false))
        XCTAssertEqual(config.options, ["refresh-ms": "40"])
    }

    func testParsedLinesKeepTheirNumbers() throws {
        let file = try ConfigFile.parse("# c\n\nset mouse on\r\nbind quit q\n", path: path)
        XCTAssertEqual(file.lines.map(\.number), [3, 4])
        XCTAssertEqual(file.lines[0].directive, .set(option: "mouse", value: "on"))
    }

    func testUnknownAction() {
        XCTAssertEqual(errorMessage("\nbind qiut q"), "/home/ana/.config/amps/config, line 2: unknown action 'qiut' "
                       + "(actions: quit, toggle-help, move-up, move-down, steer-more, unbound-by-default)")
    }

    func testUnknownKey() {
        XCTAssertEqual(errorMessage("bind quit q\nbind quit ctl-x"), "/home/ana/.config/amps/config, line 2: "
                       + "unknown key 'ctl-x' (write keys like q, C-c, enter, S-tab, pgdn, f5, space)")
        XCTAssertEqual(errorMessage("unbind nope"), "/home/ana/.config/amps/config, line 1: "
                       + "unknown key 'nope' (write keys like q, C-c, enter, S-tab, pgdn, f5, space)")
    }

    func testKeyThatCannotBeBound() {
        XCTAssertEqual(errorMessage("bind quit resize"),
                       "/home/ana/.config/amps/config, line 1: key 'resize' cannot be bound")
    }

    func testMalformedLines() {
        XCTAssertEqual(errorMessage("bind quit"), "/home/ana/.config/amps/config, line 1: "
                       + "malformed line: expected 'bind <action> <key> [<key>...]'")
        XCTAssertEqual(errorMessage("\n\nunbind"), "/home/ana/.config/amps/config, line 3: "
                       + "malformed line: expected 'unbind <key> [<key>...]'")
        XCTAssertEqual(errorMessage("set mouse"), "/home/ana/.config/amps/config, line 1: "
                       + "malformed line: expected 'set <option> <value>'")
        XCTAssertEqual(errorMessage("set mouse on please"), "/home/ana/.config/amps/config, line 1: "
                       + "malformed line: expected 'set <option> <value>'")
    }

    func testUnknownCommand() {
        XCTAssertEqual(errorMessage("map q quit"), "/home/ana/.config/amps/config, line 1: "
                       + "unknown command 'map' (expected bind, unbind or set)")
    }

    func testUnknownOption() {
        XCTAssertEqual(errorMessage("set colour 256"), "/home/ana/.config/amps/config, line 1: "
                       + "unknown option 'colour' (options: color-mode, glyphs, mouse)")
        let extra = ConfigOption(name: "refresh-ms", expected: "a number") { Int($0) != nil }
        XCTAssertEqual(errorMessage("set colour 256", extraOptions: [extra]), "/home/ana/.config/amps/config, line 1: "
                       + "unknown option 'colour' (options: color-mode, glyphs, mouse, refresh-ms)")
    }

    func testInvalidOptionValues() {
        XCTAssertEqual(errorMessage("set color-mode many"), "/home/ana/.config/amps/config, line 1: invalid value "
                       + "'many' for option 'color-mode' (expected auto, none, 16, 256 or truecolor)")
        XCTAssertEqual(errorMessage("set glyphs fancy"), "/home/ana/.config/amps/config, line 1: invalid value "
                       + "'fancy' for option 'glyphs' (expected auto, unicode or ascii)")
        XCTAssertEqual(errorMessage("set mouse maybe"), "/home/ana/.config/amps/config, line 1: invalid value "
                       + "'maybe' for option 'mouse' (expected on or off)")
        let extra = ConfigOption(name: "refresh-ms", expected: "a number of milliseconds") { Int($0) != nil }
        XCTAssertEqual(errorMessage("set refresh-ms soon", extraOptions: [extra]), "/home/ana/.config/amps/config, "
                       + "line 1: invalid value 'soon' for option 'refresh-ms' (expected a number of milliseconds)")
    }

    func testFailedApplyLeavesConfigUnchanged() throws {
        var config = UserConfig(keyMap: TestAction.defaults)
        let file = try ConfigFile.parse("bind quit x\nset mouse maybe", path: path)
        XCTAssertThrowsError(try config.apply(file))
        XCTAssertEqual(config.keyMap.keys(for: .quit), [.character("q"), .control("c")])
    }

    func testDefaultPath() {
        XCTAssertEqual(ConfigFile.defaultPath(environment: ["XDG_CONFIG_HOME": "/x/cfg", "HOME": "/home/a"]),
                       "/x/cfg/amps/config")
        XCTAssertEqual(ConfigFile.defaultPath(environment: ["HOME": "/home/a"]), "/home/a/.config/amps/config")
        XCTAssertEqual(ConfigFile.defaultPath(environment: ["XDG_CONFIG_HOME": "relative", "HOME": "/home/a"]),
                       "/home/a/.config/amps/config")
        XCTAssertEqual(ConfigFile.defaultPath(environment: ["XDG_CONFIG_HOME": "", "HOME": "/home/a"]),
                       "/home/a/.config/amps/config")
        XCTAssertNil(ConfigFile.defaultPath(environment: [:]))
    }

    func testLoadFromXDGConfigHome() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("amps-config-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let environment = ["XDG_CONFIG_HOME": root.path, "HOME": "/nonexistent"]

        // No file: defaults.
        let defaults = try UserConfig.load(defaults: TestAction.defaults, environment: environment)
        XCTAssertEqual(defaults.keyMap.keys(for: .quit), [.character("q"), .control("c")])

        let directory = root.appendingPathComponent("amps")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent("config")
        try "bind quit x\nset glyphs ascii\n".write(to: file, atomically: true, encoding: .utf8)
        let loaded = try UserConfig.load(defaults: TestAction.defaults, environment: environment)
        XCTAssertEqual(loaded.keyMap.keys(for: .quit), [.character("x")])
        XCTAssertEqual(loaded.settings.glyphs, .ascii)

        try "set mouse on\nbind nothing q\n".write(to: file, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try UserConfig.load(defaults: TestAction.defaults, environment: environment)) { error in
            XCTAssertEqual("\(error)", "\(file.path), line 2: unknown action 'nothing' "
                           + "(actions: quit, toggle-help, move-up, move-down, steer-more, unbound-by-default)")
        }
    }

    func testUnreadableFileIsAnErrorWithoutLine() throws {
        // A directory cannot be read as a file: open succeeds, read fails with EISDIR.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("amps-dir-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        XCTAssertThrowsError(try ConfigFile.load(path: directory.path)) { error in
            XCTAssertEqual("\(error)", "\(directory.path): cannot read: Is a directory")
        }
        XCTAssertNil(try ConfigFile.load(path: directory.path + "/missing"))
    }
}
