@testable import AMPSTerminal
import Foundation
import XCTest

/// Runs the real ncurses backend on a pseudo-terminal: what it writes is read back from the
/// master side, and keys are typed into it. One test method, because ncurses keeps
/// process-wide state and the backend allows one live instance.
final class NcursesTerminalTests: XCTestCase {
    private var master: Int32 = -1
    private var slave: Int32 = -1

    override func setUpWithError() throws {
        var size = winsize(ws_row: 6, ws_col: 20, ws_xpixel: 0, ws_ypixel: 0)
        guard openpty(&master, &slave, nil, nil, &size) == 0 else { throw XCTSkip("no pseudo-terminal available") }
        guard FileManager.default.fileExists(atPath: "/lib/terminfo/x/xterm-256color")
            || FileManager.default.fileExists(atPath: "/usr/share/terminfo/x/xterm-256color") else {
            throw XCTSkip("no xterm-256color terminfo entry")
        }
    }

    override func tearDown() {
        if master >= 0 { close(master) }
        if slave >= 0 { close(slave) }
    }

    /// Everything the backend wrote so far (waits briefly for it to arrive).
    private func drainOutput() -> String {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            var descriptor = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 200) > 0 else { break }
            let count = read(master, &buffer, buffer.count)
            guard count > 0 else { break }
            bytes += buffer[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private func type(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
    }

    func testDrawsFramesReadsKeysAndRestores() throws {
        let input = try XCTUnwrap(fdopen(dup(slave), "r"))
        let output = try XCTUnwrap(fdopen(dup(slave), "w"))
        defer {
            fclose(input)
            fclose(output)
        }
        let terminal = try NcursesTerminal(
            settings: TerminalSettings(colorMode: .truecolor, glyphs: .ascii, mouse: true),
            environment: ["TERM": "xterm-256color"],
            device: .streams(input: input, output: output, terminalType: "xterm-256color"))
        XCTAssertTrue(TerminalRestore.isActive)

        XCTAssertEqual(terminal.size, Size(width: 20, height: 6))
        XCTAssertEqual(terminal.terminalColors, 256)
        XCTAssertEqual(terminal.colorMode, .ansi256, "truecolor is capped to what xterm-256color can show")
        XCTAssertEqual(terminal.renderContext.glyphs, .ascii)
        _ = drainOutput()

        // First frame: everything is sent; RGB red goes out as palette entry 196.
        var frame = Frame(size: terminal.size)
        frame.put("hello", x: 2, y: 1, style: Style(foreground: .rgb(255, 0, 0)))
        terminal.draw(frame)
        let first = drainOutput()
        XCTAssertTrue(first.contains("hello"), first.debugDescription)
        XCTAssertTrue(first.contains("38;5;196"), first.debugDescription)

        // Second frame: only the changed cell is sent.
        frame.put("J", x: 2, y: 1, style: Style(foreground: .rgb(255, 0, 0)))
        terminal.draw(frame)
        let second = drainOutput()
        XCTAssertTrue(second.contains("J"), second.debugDescription)
        XCTAssertFalse(second.contains("ello"), second.debugDescription)

        // Identical frame: nothing to send.
        terminal.draw(frame)
        XCTAssertFalse(drainOutput().contains("J"))

        // Keys as xterm sends them (keypad on: application cursor keys).
        type("q")
        XCTAssertEqual(terminal.readKey(timeoutMilliseconds: 1000), .character("q"))
        type("\u{1B}OA")
        XCTAssertEqual(terminal.readKey(timeoutMilliseconds: 1000), .up)
        type("\u{03}")
        XCTAssertEqual(terminal.readKey(timeoutMilliseconds: 1000), .control("c"))
        type("\r")
        XCTAssertEqual(terminal.readKey(timeoutMilliseconds: 1000), .enter)
        type("\u{1B}[Z")
        XCTAssertEqual(terminal.readKey(timeoutMilliseconds: 1000), .backTab)
        // Multibyte input decodes only under a UTF-8 locale (the backend calls setlocale).
        if GlyphSet.isUTF8Locale(environment: ProcessEnvironment.current()) {
            type("é")
            XCTAssertEqual(terminal.readKey(timeoutMilliseconds: 1000), .character("é"))
        }
        type("\u{1B}")
        XCTAssertEqual(terminal.readKey(timeoutMilliseconds: 1000), .escape, "a lone Esc after ESCDELAY")
        // SGR mouse report: button 0 pressed at column 5, row 3 (1-based).
        type("\u{1B}[<0;5;3M")
        XCTAssertEqual(terminal.readKey(timeoutMilliseconds: 1000), .mouse(MouseEvent(button: .left, x: 4, y: 2)))
        XCTAssertNil(terminal.readKey(timeoutMilliseconds: 50), "no input: timeout")

        // A resize is reported as a key and makes the next draw repaint everything.
        var bigger = winsize(ws_row: 8, ws_col: 30, ws_xpixel: 0, ws_ypixel: 0)
        _ = ioctl(master, UInt(TIOCSWINSZ), &bigger)
        raise(SIGWINCH)
        XCTAssertEqual(terminal.readKey(timeoutMilliseconds: 1000), .resize)
        XCTAssertEqual(terminal.size, Size(width: 30, height: 8))
        _ = drainOutput()
        var resized = Frame(size: terminal.size)
        resized.put("J", x: 2, y: 1)
        resized.put("after", x: 0, y: 7)
        terminal.draw(resized)
        XCTAssertTrue(drainOutput().contains("after"))

        terminal.shutdown()
        XCTAssertFalse(TerminalRestore.isActive)
        XCTAssertNil(terminal.readKey(timeoutMilliseconds: 0), "unusable after shutdown")
        terminal.shutdown()   // idempotent

        // NO_COLOR: not a single colour sequence, but attributes still work.
        let plain = try NcursesTerminal(environment: ["TERM": "xterm-256color", "NO_COLOR": "1"],
                                        device: .streams(input: input, output: output, terminalType: "xterm-256color"))
        XCTAssertEqual(plain.colorMode, .none)
        var mono = Frame(size: plain.size)
        mono.put("red", x: 0, y: 0, style: Style(foreground: .ansi(.red), background: .ansi(.blue), attributes: .reverse))
        plain.draw(mono)
        let monoOutput = drainOutput()
        plain.shutdown()
        XCTAssertTrue(monoOutput.contains("red"), monoOutput.debugDescription)
        XCTAssertTrue(monoOutput.contains("7mred"), "reverse video (SGR 7): \(monoOutput.debugDescription)")
        for colour in ["[31m", "[44m", "[39", "[49m", "38;5"] {
            XCTAssertFalse(monoOutput.contains(colour), "\(colour) in \(monoOutput.debugDescription)")
        }
    }
}
