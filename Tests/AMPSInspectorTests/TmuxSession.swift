import Foundation
import XCTest

/// A detached tmux session driving the real binary: send keys, read the screen, wait for it.
struct TmuxSession {
    let name: String

    init(_ tag: String) { name = "amps-\(tag)-\(getpid())" }

    @discardableResult
    func run(_ args: [String]) throws -> String {
        // Through system(3) with output to a file: `new-session` starts the tmux server,
        // which inherits the child's descriptors, so a pipe would never reach end-of-file.
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString).txt")
        defer { try? FileManager.default.removeItem(at: url) }
        func quote(_ a: String) -> String { "'" + a.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        // A server of its own (-L): sessions of other test runs on the machine cannot collide
        // with this one, and nobody else's `kill-server` takes it down.
        let line = (["tmux", "-L", name] + args).map(quote).joined(separator: " ") + " > \(quote(url.path)) 2>&1 < /dev/null"
        let status = system(line)
        guard status != -1 else { throw E2EError(message: "cannot run tmux") }
        return (try? String(contentsOf: url, encoding: .utf8)) ?? ""
    }

    var available: Bool { (try? run(["-V"]))?.hasPrefix("tmux") == true }

    func start(width: Int, height: Int, command: String) throws {
        try run(["new-session", "-d", "-s", name, "-x", String(width), "-y", String(height), command])
    }

    func kill() { _ = try? run(["kill-server"]) }

    func screen() throws -> String { try run(["capture-pane", "-p", "-t", name]) }

    func keys(_ k: [String]) throws { try run(["send-keys", "-t", name] + k) }

    func resize(width: Int, height: Int) throws {
        try run(["resize-window", "-t", name, "-x", String(width), "-y", String(height)])
    }

    /// Polls the screen until `predicate` holds; fails with the last screen after `timeout`.
    @discardableResult
    func waitFor(_ what: String, timeout: TimeInterval = 60, file: StaticString = #filePath, line: UInt = #line,
                 _ predicate: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var last = ""
        while Date() < deadline {
            last = try screen()
            if predicate(last) { return last }
            Thread.sleep(forTimeInterval: 0.2)
        }
        XCTFail("timed out waiting for \(what); screen was:\n\(last)", file: file, line: line)
        throw E2EError(message: "stopped after a failed wait for \(what)")
    }
}

struct E2EError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
