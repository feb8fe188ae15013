import Foundation
import XCTest

/// The real binary in a real terminal (tmux): starts on the default model, waits for the
/// functional-entropy map, steers with `+`, steps layers with `]`, filters with `/`,
/// resizes (down to "too small" and back), opens and closes `?`, quits with `q`, and
/// checks the terminal is back in its normal (cooked, echoing) mode.
final class InspectorEndToEndTests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let binary: URL? = {
        var candidates: [URL] = []
        if let env = ProcessInfo.processInfo.environment["AMPS_BINARY"], !env.isEmpty { candidates.append(URL(fileURLWithPath: env)) }
        if let exe = Bundle.main.executableURL {
            candidates.append(exe.resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("amps"))
        }
        candidates.append(Bundle.main.bundleURL.appendingPathComponent("amps"))
        candidates.append(repo.appendingPathComponent(".build/debug/amps"))
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }()

    let tmux = TmuxSession("e2e")

    func screen() throws -> String { try tmux.screen() }

    @discardableResult
    func waitFor(_ what: String, timeout: TimeInterval = 60, file: StaticString = #filePath, line: UInt = #line,
                 _ predicate: (String) -> Bool) throws -> String {
        try tmux.waitFor(what, timeout: timeout, file: file, line: line, predicate)
    }

    func keys(_ k: String...) throws { try tmux.keys(k) }

    /// The steered answer block of the instance pane (its lines after "→").
    func steeredBlock(_ text: String) -> String {
        text.split(separator: "\n").filter { $0.contains("vision ") || $0.contains("text ") || $0.contains("other ") || $0.contains("→") }
            .joined(separator: "\n")
    }

    func testInspectorSessionInTmux() throws {
        guard let bin = Self.binary else { return XCTFail("amps binary not found (build it first)") }
        guard tmux.available else { return XCTFail("tmux is not installed (make test installs it)") }
        let model = Self.repo.appendingPathComponent("samples/model/config.json").path
        guard FileManager.default.fileExists(atPath: model) else { return XCTFail("the default model is missing: \(model)") }
        let cmd = "cd '\(Self.repo.path)' && TERM=xterm-256color LANG=C.UTF-8 '\(bin.path)' -n 8; echo EXIT=$?; stty -a; sleep 120"
        defer { tmux.kill() }
        try tmux.start(width: 160, height: 48, command: cmd)

        // The map finishes: no "k/8 layers" progress footer left, a window MCR printed.
        let ready = try waitFor("the MCS map", timeout: 120) { s in
            s.contains("window MCR 0.") || s.contains("window MCR 1.") ? !s.contains(" layers ") : false
        }
        XCTAssertTrue(ready.contains("Functional entropy"))
        // The steered distribution answers the alpha keys.
        try waitFor("the steered answer") { self.steeredBlock($0).contains("α=") }
        let before = steeredBlock(try waitFor("a settled screen") { !$0.contains("…") || $0.contains("idle") })
        for _ in 0..<6 { try keys("+") }
        let after = try waitFor("a changed steered distribution") { s in
            s.contains("idle") && self.steeredBlock(s) != before
        }
        XCTAssertNotEqual(steeredBlock(after), before)
        // Layers step with ].
        let layerBefore = try screen().range(of: #"Layer \d+/\d+"#, options: .regularExpression).map { String(try! screen()[$0]) }
        try keys("]")
        try waitFor("the next layer") { s in
            guard let r = s.range(of: #"Layer \d+/\d+"#, options: .regularExpression) else { return false }
            return String(s[r]) != layerBefore
        }
        // Filter with /.
        try keys("/", "c", "o", "u", "n", "t", "Enter")
        let filtered = try waitFor("the filtered list") { $0.contains("/count") }
        let rows = filtered.split(separator: "\n").filter { $0.range(of: #"^[|│┃]\d{6} "#, options: .regularExpression) != nil }
        XCTAssertFalse(rows.isEmpty)
        XCTAssertTrue(rows.allSatisfy { $0.contains("counting") }, rows.joined(separator: "\n"))
        // Resize: compact layout, too small, and back.
        try tmux.resize(width: 90, height: 26)
        try waitFor("the compact layout") { $0.contains("2 Instance") && !$0.contains("3 Functional") }
        try tmux.resize(width: 60, height: 20)
        try waitFor("the too-small screen") { $0.contains("80x24") }
        try tmux.resize(width: 160, height: 48)
        try waitFor("the wide layout again") { $0.contains("3 Functional") }
        // Help opens and closes.
        try keys("?")
        try waitFor("the help overlay") { $0.contains("amps keys") }
        try keys("?")
        try waitFor("the help overlay to close") { !$0.contains("amps keys") }
        // Quit: exit status 0 and a sane terminal.
        try keys("q")
        let end = try waitFor("the shell after quitting", timeout: 20) { $0.contains("EXIT=") && $0.contains("icanon") && $0.contains("echo") }
        XCTAssertTrue(end.contains("EXIT=0"), end)
        XCTAssertTrue(end.contains(" icanon") && end.contains(" echo"), "terminal not restored:\n\(end)")
    }
}
