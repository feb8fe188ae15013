import Foundation
import XCTest

/// The inspector on the PyTorch engine, in a real terminal (tmux): on the default model with
/// `--engine torch` (map progress, a steering change, a layer step, quit), and through a
/// wrapper script that launches the engine as a process of its own, the shape of an SSH
/// session, whose engine is killed in the middle of the map: the error screen, `q`, exit
/// status 1 with the engine's line, and a restored terminal, never a hang.
final class TorchInspectorEndToEndTests: XCTestCase {
    static let repo = InspectorEndToEndTests.repo
    let tmux = TmuxSession("torch-e2e")
    var tmp: URL!

    override func setUpWithError() throws {
        tmp = FileManager.default.temporaryDirectory.appendingPathComponent("amps-torch-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    }
    override func tearDownWithError() throws { tmux.kill(); try? FileManager.default.removeItem(at: tmp) }

    static func python() throws -> String {
        let py = repo.appendingPathComponent(".venv/bin/python").path
        guard FileManager.default.isExecutableFile(atPath: py) else {
            throw XCTSkip("no .venv with the PyTorch engine (run `make engine-venv`; `make test` does)")
        }
        return py
    }

    /// `engine`: the amps options that choose the engine; `path`: a folder put first on PATH.
    func start(_ args: String, engine: String, path: String? = nil) throws {
        guard let bin = InspectorEndToEndTests.binary else { throw E2EError(message: "amps binary not found (build it first)") }
        guard tmux.available else { throw E2EError(message: "tmux is not installed (make test installs it)") }
        let env = path.map { "PATH='\($0)':\"$PATH\" " } ?? ""
        let cmd = "cd '\(Self.repo.path)' && \(env)TERM=xterm-256color LANG=C.UTF-8 '\(bin.path)' \(args) \(engine); echo EXIT=$?; stty -a; sleep 120"
        try tmux.start(width: 160, height: 48, command: cmd)
    }

    func steeredBlock(_ text: String) -> String {
        text.split(separator: "\n").filter { $0.contains("vision ") || $0.contains("text ") || $0.contains("other ") || $0.contains("→") }
            .joined(separator: "\n")
    }

    func testInspectorOnTheTorchEngine() throws {
        // `--engine torch`: amps-torch-engine from PATH (the .venv's console script).
        let bin = URL(fileURLWithPath: try Self.python()).deletingLastPathComponent().path
        try start("-n 48", engine: "--engine torch", path: bin)
        // The map fills layer by layer ("k/8 layers" in its footer), then finishes.
        try tmux.waitFor("map progress", timeout: 120) { $0.range(of: #"[1-7]/8 layers"#, options: .regularExpression) != nil }
        let ready = try tmux.waitFor("the MCS map", timeout: 120) { s in
            s.contains("window MCR 0.") || s.contains("window MCR 1.") ? !s.contains(" layers ") : false
        }
        XCTAssertTrue(ready.contains("Functional entropy"))
        XCTAssertTrue(ready.contains("on amps-torch-engine cpu float32"), "the status line names the engine:\n\(ready)")
        try tmux.waitFor("the steered answer") { self.steeredBlock($0).contains("α=") }
        let before = steeredBlock(try tmux.waitFor("a settled screen") { $0.contains("idle") })
        for _ in 0..<6 { try tmux.keys(["+"]) }
        let after = try tmux.waitFor("a changed steered distribution", timeout: 120) { s in
            s.contains("idle") && self.steeredBlock(s) != before
        }
        XCTAssertNotEqual(steeredBlock(after), before)
        let layer = { (s: String) in s.range(of: #"Layer \d+/\d+"#, options: .regularExpression).map { String(s[$0]) } }
        let layerBefore = layer(try tmux.screen())
        try tmux.keys(["]"])
        try tmux.waitFor("the next layer") { layer($0) != nil && layer($0) != layerBefore }
        try tmux.keys(["q"])
        let end = try tmux.waitFor("the shell after quitting", timeout: 20) { $0.contains("EXIT=") && $0.contains("icanon") }
        XCTAssertTrue(end.contains("EXIT=0"), end)
        XCTAssertTrue(end.contains(" icanon") && end.contains(" echo"), "terminal not restored:\n\(end)")
    }

    func testKilledEngineGivesTheErrorScreen() throws {
        let py = try Self.python()
        let pidFile = tmp.appendingPathComponent("engine.pid").path
        let wrapper = tmp.appendingPathComponent("remote-engine.sh")
        // Like `ssh host amps-torch-engine`: a shell between amps and the engine, which runs as
        // a process of its own (its stdin handed over explicitly: a background job's is /dev/null).
        try """
        #!/bin/sh
        exec 3<&0
        '\(py)' -m amps_torch_engine.cli --device cpu --dtype float32 --threads 1 <&3 &
        echo $! > '\(pidFile)'
        wait $!
        """.write(to: wrapper, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: wrapper.path)
        try start("-n 2000", engine: "--engine-command '\(wrapper.path)'")
        try tmux.waitFor("the map in progress", timeout: 120) { $0.range(of: #"\d/8 layers"#, options: .regularExpression) != nil }
        let pid = try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertNotNil(Int32(pid), pid)
        kill(Int32(pid)!, SIGKILL)
        let screen = try tmux.waitFor("the error screen", timeout: 60) { $0.contains("Engine stopped") }
        XCTAssertTrue(screen.contains("exited"), screen)
        try tmux.keys(["q"])
        let end = try tmux.waitFor("the shell after quitting", timeout: 20) { $0.contains("EXIT=") && $0.contains("icanon") }
        XCTAssertTrue(end.contains("EXIT=1"), end)
        XCTAssertTrue(end.contains("amps: engine '\(wrapper.path)': exited"), end)
        XCTAssertTrue(end.contains(" icanon") && end.contains(" echo"), "terminal not restored:\n\(end)")
    }
}
