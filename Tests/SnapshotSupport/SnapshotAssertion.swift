import AMPSTerminal
import Foundation
import XCTest

/// Which text of a frame a snapshot stores.
public enum SnapshotFormat {
    /// Glyphs plus style codes and legend (`Frame.styledText()`).
    case styled
    /// Glyphs only (`Frame.plainText()`).
    case plain
}

/// Compares `frame` with `Snapshots/<name>.txt` next to the calling test file.
/// (Shared by the test targets that snapshot frames.)
///
/// Missing file: the snapshot is recorded and the test passes with a note (review the new
/// file before committing it). Set AMPS_RECORD_SNAPSHOTS=1 to re-record all snapshots.
/// A difference fails the test with a line diff (- expected, + actual).
public func assertSnapshot(_ frame: Frame, named name: String, format: SnapshotFormat = .styled,
                    file: StaticString = #filePath, line: UInt = #line) {
    let actual = (format == .styled ? frame.styledText() : frame.plainText()) + "\n"
    let directory = URL(fileURLWithPath: "\(file)").deletingLastPathComponent().appendingPathComponent("Snapshots")
    let url = directory.appendingPathComponent(name + ".txt")
    let recordAll = ProcessInfo.processInfo.environment["AMPS_RECORD_SNAPSHOTS"] == "1"
    guard !recordAll, let expected = try? String(contentsOf: url, encoding: .utf8) else {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try actual.write(to: url, atomically: true, encoding: .utf8)
            print("note: recorded snapshot \(url.path); review it before committing")
        } catch {
            XCTFail("cannot record snapshot \(url.path): \(error)", file: file, line: line)
        }
        return
    }
    if let difference = SnapshotComparison.difference(expected: expected, actual: actual, name: "snapshot '\(name)'") {
        XCTFail(difference + "\n(file: \(url.path); AMPS_RECORD_SNAPSHOTS=1 re-records)", file: file, line: line)
    }
}

