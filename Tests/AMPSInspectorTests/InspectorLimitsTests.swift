import Foundation
import XCTest

/// The inspector under hostile conditions, in a real terminal (tmux): a terminal type
/// without cursor addressing, an option out of bounds, a request larger than memory, and a
/// config file with a huge line of escape sequences. Nothing crashes or hangs; errors
/// before the screen is taken are one line with the documented exit status; an engine
/// error is shown on the status line and the UI stays alive.
final class InspectorLimitsTests: XCTestCase {
    let tmux = TmuxSession("limits")
    var scratch = ""

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("amps-ilimits-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    }

    override func tearDown() {
        tmux.kill()
        try? FileManager.default.removeItem(atPath: scratch)
    }

    /// Starts `amps <arguments>` in the repository with `environment` prefixed, under a
    /// 4 GiB address-space cap; the shell prints EXIT=<status> when it ends.
    func start(_ arguments: String, environment: String = "TERM=xterm-256color", width: Int = 160, height: Int = 40) throws {
        guard let bin = InspectorEndToEndTests.binary else { throw E2EError(message: "amps binary not found (build it first)") }
        guard tmux.available else { throw E2EError(message: "tmux is not installed (make test installs it)") }
        let cmd = "cd '\(InspectorEndToEndTests.repo.path)' && ulimit -v \(4 << 20) && XDG_CONFIG_HOME='\(scratch)' LANG=C.UTF-8 "
            + "\(environment) '\(bin.path)' \(arguments); echo EXIT=$?; sleep 120"
        try tmux.start(width: width, height: height, command: cmd)
    }

    func exitLine(_ screen: String) -> String? {
        screen.split(separator: "\n").first { $0.hasPrefix("EXIT=") }.map(String.init)
    }

    func testTerminalsWithoutCursorAddressingGetOneLineAndStatus2() throws {
        for (env, words) in [("TERM=dumb", ["TERM=dumb", "cursor addressing"]), ("TERM=no-such-terminal", ["no-such-terminal", "terminfo"]),
                             ("TERM=", ["TERM is not set"])] {
            try start("-n 4", environment: env)
            let s = try tmux.waitFor("the exit of \(env)", timeout: 30) { $0.contains("EXIT=") }
            XCTAssertEqual(exitLine(s), "EXIT=2", "\(env): \(s)")
            let lines = s.split(separator: "\n").filter { !$0.hasPrefix("EXIT=") && !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            let text = lines.joined()  // tmux wraps the one line at the pane's width
            XCTAssertTrue(text.hasPrefix("amps: "), "\(env): \(s)")
            for w in words { XCTAssertTrue(text.contains(w), "\(env): '\(w)' missing: \(s)") }
            XCTAssertFalse(s.contains("Instances"), "\(env): the UI was drawn: \(s)")
            tmux.kill()
        }
    }

    func testAnOutOfBoundsOptionFailsBeforeTheScreen() throws {
        try start("--alpha 1e60")
        let s = try tmux.waitFor("the exit", timeout: 60) { $0.contains("EXIT=") }
        XCTAssertEqual(exitLine(s), "EXIT=1", s)
        XCTAssertTrue(s.contains("amps: --alpha must be a finite number within ±10000 (got 1e+60)"), s)
    }

    func testARequestBeyondMemoryIsAnErrorLineAndTheUIStaysAlive() throws {
        try start("-n 100000")
        let s = try tmux.waitFor("the memory error on the status line", timeout: 120) { $0.contains("error: the Monte Carlo batch of N=100000") }
        XCTAssertTrue(s.contains("needs about"), s)
        XCTAssertFalse(s.contains("Fatal error") || s.contains("Backtrac") || s.contains("crashed"), s)
        // Alive: keys still work (help opens and closes), then q quits with status 0.
        try tmux.keys(["?"])
        try tmux.waitFor("the help overlay") { $0.contains("amps keys") }
        try tmux.keys(["?"])
        try tmux.waitFor("the help overlay to close") { !$0.contains("amps keys") }
        try tmux.keys(["q"])
        let end = try tmux.waitFor("the exit", timeout: 30) { $0.contains("EXIT=") }
        XCTAssertEqual(exitLine(end), "EXIT=0", end)
    }

    func testAHugeConfigLineIsEscapedAndCut() throws {
        try FileManager.default.createDirectory(atPath: scratch + "/amps", withIntermediateDirectories: true)
        let line = "bind quit " + String(repeating: "x\u{1B}[2J\u{1B}[31m", count: 20_000) + "\n"
        try line.write(toFile: scratch + "/amps/config", atomically: true, encoding: .utf8)
        try start("-n 4")
        let s = try tmux.waitFor("the exit", timeout: 60) { $0.contains("EXIT=") }
        XCTAssertEqual(exitLine(s), "EXIT=1", s)
        let text = s.split(separator: "\n").filter { !$0.hasPrefix("EXIT=") }.joined()
        XCTAssertTrue(text.contains("amps: " + scratch + "/amps/config, line 1: unknown key 'x\\x1B[2J\\x1B[31mx"), s)
        XCTAssertTrue(text.contains("more characters)"), s)
        XCTAssertLessThan(text.count, 500, "the message is cut: \(text.count) characters")
    }
}
