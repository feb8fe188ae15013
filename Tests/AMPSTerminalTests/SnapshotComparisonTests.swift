import AMPSTerminal
import XCTest

final class SnapshotComparisonTests: XCTestCase {
    func testEqualTextsHaveNoDifferenceIgnoringOneTrailingNewline() {
        XCTAssertNil(SnapshotComparison.difference(expected: "a\nb\n", actual: "a\nb"))
        XCTAssertNotNil(SnapshotComparison.difference(expected: "a\nb\n\n", actual: "a\nb"))
    }

    func testDifferenceShowsChangedLinesWithContext() {
        let expected = "1\n2\n3\n4\n5\n6\n7\n8"
        let actual = "1\n2\n3\n4\nfive\n6\n7\n8"
        XCTAssertEqual(SnapshotComparison.difference(expected: expected, actual: actual, name: "demo"), """
        demo differs (- expected, + actual):
          3
          4
        - 5
        + five
          6
          7
        """)
    }

    func testLineDiffFindsInsertionsAndDeletions() {
        let diff = SnapshotComparison.lineDiff(expected: ["a", "b", "c"], actual: ["a", "c", "d"])
        XCTAssertEqual(diff, [.same("a"), .removed("b"), .same("c"), .added("d")])
    }

    func testSeparatedChangesAreElided() {
        let expected = (1...12).map(String.init)
        var actual = expected
        actual[0] = "one"
        actual[11] = "twelve"
        let report = SnapshotComparison.difference(expected: expected.joined(separator: "\n"),
                                                   actual: actual.joined(separator: "\n"))!
        XCTAssertTrue(report.contains("  ..."), report)
        XCTAssertFalse(report.contains("  6"), report)
    }
}
