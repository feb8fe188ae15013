@testable import AMPSTerminal
import XCTest

final class GlyphSetTests: XCTestCase {
    func testUTF8LocaleGivesUnicode() {
        XCTAssertEqual(GlyphSet.detect(environment: ["LANG": "en_US.UTF-8"]), .unicode)
        XCTAssertEqual(GlyphSet.detect(environment: ["LC_ALL": "C.utf8"]), .unicode)
    }

    func testNonUTF8OrMissingLocaleGivesASCII() {
        XCTAssertEqual(GlyphSet.detect(environment: [:]), .ascii)
        XCTAssertEqual(GlyphSet.detect(environment: ["LANG": "C"]), .ascii)
        XCTAssertEqual(GlyphSet.detect(environment: ["LANG": "de_DE.ISO-8859-1"]), .ascii)
    }

    func testPrecedenceIsLCAllThenLCCtypeThenLang() {
        XCTAssertEqual(GlyphSet.detect(environment: ["LC_ALL": "C", "LANG": "en_US.UTF-8"]), .ascii)
        XCTAssertEqual(GlyphSet.detect(environment: ["LC_CTYPE": "en_US.UTF-8", "LANG": "C"]), .unicode)
        // An empty variable does not count, as with setlocale.
        XCTAssertEqual(GlyphSet.detect(environment: ["LC_ALL": "", "LANG": "en_US.UTF-8"]), .unicode)
    }

    func testSettingOverridesLocale() {
        XCTAssertEqual(TerminalSettings(glyphs: .ascii).resolvedGlyphs(environment: ["LANG": "en_US.UTF-8"]), .ascii)
        XCTAssertEqual(TerminalSettings(glyphs: .unicode).resolvedGlyphs(environment: [:]), .unicode)
    }

    func testASCIISetIsPureASCII() {
        let ascii = GlyphSet.ascii
        var all: [Character] = [ascii.axisTickLeft, ascii.axisTickUp, ascii.axisCorner, ascii.markerLine,
                                ascii.upperHalfBlock, ascii.lowerHalfBlock, ascii.fullBlock, ascii.barFilled,
                                ascii.barEmpty, ascii.arrowUp, ascii.arrowDown, ascii.arrowLeft, ascii.arrowRight,
                                ascii.pending, ascii.ellipsis]
        all += ascii.shades + ascii.densityRamp + ascii.sparkline + ascii.horizontalEighths + ascii.seriesMarkers
        all += ascii.spinnerFrames
        for border in [ascii.border, ascii.focusedBorder] {
            all += [border.horizontal, border.vertical, border.topLeft, border.topRight, border.bottomLeft, border.bottomRight]
        }
        for glyph in all { XCTAssertTrue(glyph.isASCII, "non-ASCII glyph \(glyph)") }
        XCTAssertEqual(String(ascii.densityRamp), ".:-=+*#%@")
        XCTAssertEqual(String(GlyphSet.unicode.densityRamp), "░▒▓█")
        XCTAssertEqual(String(GlyphSet.unicode.sparkline), "▁▂▃▄▅▆▇█")
    }
}
