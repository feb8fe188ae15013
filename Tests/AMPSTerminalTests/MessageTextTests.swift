import AMPSTerminal
import XCTest

/// Messages quoting file contents stay one readable line: control bytes escaped, length cut.
final class MessageTextTests: XCTestCase {
    func testControlCharactersAreEscaped() {
        XCTAssertEqual(MessageText.oneLine("a\u{1B}[31mb\tc\nd\r\u{7F}\u{85}é"), "a\\x1B[31mb\\tc\\nd\\r\\x7F\\x85é")
    }

    func testLongTextIsCutWithTheRestCounted() {
        let cut = MessageText.oneLine(String(repeating: "x", count: 1000), limit: 10)
        XCTAssertEqual(cut, "xxxxxxxxxx… (990 more characters)")
        XCTAssertEqual(MessageText.oneLine("short", limit: 10), "short")
        // Escapes count toward the limit, so the output stays near it however many there are.
        let escaped = MessageText.oneLine(String(repeating: "\u{1B}", count: 1000), limit: 12)
        XCTAssertEqual(escaped, "\\x1B\\x1B\\x1B… (997 more characters)")
    }

    func testConfigErrorsAreOneShortLine() {
        let e = ConfigError(path: "/home/ana/.config/amps/config", line: 3,
                            problem: "unknown key '" + String(repeating: "x\u{1B}[2J", count: 100_000) + "'")
        let text = e.description
        XCTAssertLessThan(text.count, 400)
        XCTAssertFalse(text.unicodeScalars.contains { $0.value < 0x20 }, "raw control characters in \(text.debugDescription)")
        XCTAssertTrue(text.hasPrefix("/home/ana/.config/amps/config, line 3: unknown key 'x\\x1B[2J"), text)
        XCTAssertTrue(text.hasSuffix("more characters)"), text)
    }

    func testAConfigFileLargerThanTheBoundIsRefusedWithoutReadingItAll() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("amps-msg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("config").path
        try Data(repeating: UInt8(ascii: "#"), count: ConfigFile.maximumBytes + 1).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try ConfigFile.load(path: path)) { e in
            XCTAssertTrue("\(e)".contains("larger than 1 MiB"), "\(e)")
            XCTAssertTrue("\(e)".contains(path), "\(e)")
        }
        // /dev/zero never ends: the bound stops the read.
        XCTAssertThrowsError(try ConfigFile.load(path: "/dev/zero"))
    }
}
