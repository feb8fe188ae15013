@testable import AMPSTerminal
import XCTest

final class TextLayoutTests: XCTestCase {
    func testWrapBreaksAtSpacesAndKeepsParagraphs() {
        XCTAssertEqual(TextWrapping.wrap("the quick brown fox", width: 10), ["the quick", "brown fox"])
        XCTAssertEqual(TextWrapping.wrap("a\n\nb", width: 5), ["a", "", "b"])
        XCTAssertEqual(TextWrapping.wrap("a    b", width: 5), ["a b"])
    }

    func testWrapSplitsWordsLongerThanTheWidth() {
        XCTAssertEqual(TextWrapping.wrap("abcdefgh ij", width: 3), ["abc", "def", "gh", "ij"])
        XCTAssertEqual(TextWrapping.wrap("anything", width: 0), [])
    }

    func testTruncateAndFit() {
        XCTAssertEqual(TextFitting.truncate("abcdef", width: 4, ellipsis: "…"), "abc…")
        XCTAssertEqual(TextFitting.truncate("abc", width: 4, ellipsis: "…"), "abc")
        XCTAssertEqual(TextFitting.truncate("abc", width: 1, ellipsis: "~"), "~")
        XCTAssertEqual(TextFitting.fit("ab", width: 5, alignment: .right), "   ab")
        XCTAssertEqual(TextFitting.fit("ab", width: 5, alignment: .center), " ab  ")
        XCTAssertEqual(TextFitting.fit("abcdef", width: 3, alignment: .left, ellipsis: "~"), "ab~")
    }

    func testNumberFormatting() {
        XCTAssertEqual(NumberFormatting.fixed(0.4251, decimals: 2), "0.43")
        XCTAssertEqual(NumberFormatting.fixed(-1, decimals: 1), "-1.0")
        XCTAssertEqual(NumberFormatting.fixed(-0.001, decimals: 2), "0.00")
        XCTAssertEqual(NumberFormatting.fixed(12.05, decimals: 0), "12")
        XCTAssertEqual(NumberFormatting.fixed(3.007, decimals: 3), "3.007")
        XCTAssertEqual(NumberFormatting.fixed(.nan, decimals: 2), "nan")
        XCTAssertEqual(NumberFormatting.percent(0.625), "62.5%")
        XCTAssertEqual(NumberFormatting.percent(1, decimals: 0), "100%")
        XCTAssertEqual(NumberFormatting.compact(0.42, decimals: 2, width: 3), ".42")
        XCTAssertEqual(NumberFormatting.compact(0.42, decimals: 2, width: 4), "0.42")
        XCTAssertNil(NumberFormatting.compact(12.5, decimals: 2, width: 3))
    }
}
