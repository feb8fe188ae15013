@testable import AMPSTerminal
import XCTest

final class ColorTests: XCTestCase {
    func testPaletteEntries() {
        XCTAssertEqual(XtermPalette.rgb(ofIndex: 9), RGB(255, 0, 0))
        XCTAssertEqual(XtermPalette.rgb(ofIndex: 16), RGB(0, 0, 0))
        XCTAssertEqual(XtermPalette.rgb(ofIndex: 196), RGB(255, 0, 0))       // 16 + 36*5
        XCTAssertEqual(XtermPalette.rgb(ofIndex: 110), RGB(135, 175, 215))   // 16 + 36*2 + 6*3 + 4
        XCTAssertEqual(XtermPalette.rgb(ofIndex: 232), RGB(8, 8, 8))
        XCTAssertEqual(XtermPalette.rgb(ofIndex: 255), RGB(238, 238, 238))
    }

    func testTruecolorToNearest256() {
        // Pure red is a cube corner.
        XCTAssertEqual(ColorMode.ansi256.convert(.rgb(255, 0, 0)), .indexed(196))
        // Mid grey (128): cube level 135 is 7 away per channel, grey 128 (index 244) is exact.
        XCTAssertEqual(ColorMode.ansi256.convert(.rgb(128, 128, 128)), .indexed(244))
        // (135, 175, 215) is exactly cube entry 110.
        XCTAssertEqual(ColorMode.ansi256.convert(.rgb(135, 175, 215)), .indexed(110))
        // (100, 140, 30): nearest levels 95, 135, 0 -> 16 + 36 + 12 + 0 = 64.
        XCTAssertEqual(ColorMode.ansi256.convert(.rgb(100, 140, 30)), .indexed(64))
        // Near-black (3,3,3): cube black (16) is 27 away squared, grey 8 (232) is 75 away.
        XCTAssertEqual(ColorMode.ansi256.convert(.rgb(3, 3, 3)), .indexed(16))
    }

    func testTo16Colors() {
        XCTAssertEqual(ColorMode.ansi16.convert(.rgb(255, 0, 0)), .ansi(.brightRed))
        XCTAssertEqual(ColorMode.ansi16.convert(.rgb(200, 10, 10)), .ansi(.red))
        XCTAssertEqual(ColorMode.ansi16.convert(.rgb(0, 0, 200)), .ansi(.blue))
        XCTAssertEqual(ColorMode.ansi16.convert(.rgb(128, 128, 128)), .ansi(.brightBlack))
        XCTAssertEqual(ColorMode.ansi16.convert(.rgb(240, 240, 240)), .ansi(.white))   // 229 is 11 away, 255 is 15
        XCTAssertEqual(ColorMode.ansi16.convert(.indexed(12)), .ansi(.brightBlue))
        XCTAssertEqual(ColorMode.ansi16.convert(.indexed(196)), .ansi(.brightRed))
        XCTAssertEqual(ColorMode.ansi16.convert(.ansi(.magenta)), .ansi(.magenta))
    }

    func testNoneStripsEverythingAndRichModesKeepWhatTheyCanShow() {
        for color: Color in [.ansi(.red), .indexed(100), .rgb(1, 2, 3), .default] {
            XCTAssertEqual(ColorMode.none.convert(color), .default)
            XCTAssertEqual(ColorMode.truecolor.convert(color), color)
        }
        XCTAssertEqual(ColorMode.ansi256.convert(.ansi(.red)), .ansi(.red))
        XCTAssertEqual(ColorMode.ansi256.convert(.indexed(100)), .indexed(100))
        XCTAssertEqual(ColorMode.ansi16.convert(.default), .default)
    }

    func testNoColorWinsOverEverything() {
        let env = ["NO_COLOR": "1", "COLORTERM": "truecolor", "TERM": "xterm-256color"]
        XCTAssertEqual(ColorMode.detect(environment: env, terminalColors: 256), .none)
    }

    func testEmptyNoColorIsIgnored() {
        XCTAssertEqual(ColorMode.detect(environment: ["NO_COLOR": ""], terminalColors: 256), .ansi256)
    }

    func testDetectionFromColortermAndColorCount() {
        XCTAssertEqual(ColorMode.detect(environment: ["COLORTERM": "truecolor"], terminalColors: 256), .truecolor)
        XCTAssertEqual(ColorMode.detect(environment: ["COLORTERM": "24bit"], terminalColors: 8), .truecolor)
        XCTAssertEqual(ColorMode.detect(environment: ["COLORTERM": "yes"], terminalColors: 256), .ansi256)
        XCTAssertEqual(ColorMode.detect(environment: [:], terminalColors: 1 << 24), .truecolor)
        XCTAssertEqual(ColorMode.detect(environment: [:], terminalColors: 16), .ansi16)
        XCTAssertEqual(ColorMode.detect(environment: [:], terminalColors: 8), .ansi16)
        XCTAssertEqual(ColorMode.detect(environment: [:], terminalColors: 2), .none)
        XCTAssertEqual(ColorMode.detect(environment: ["TERM": "dumb"], terminalColors: 256), .none)
    }

    func testExplicitSettingOverridesNoColor() {
        let settings = TerminalSettings(colorMode: .ansi16)
        XCTAssertEqual(settings.resolvedColorMode(environment: ["NO_COLOR": "1"], terminalColors: 256), .ansi16)
        XCTAssertEqual(TerminalSettings().resolvedColorMode(environment: ["NO_COLOR": "1"], terminalColors: 256), .none)
    }

    func testColorScaleEndsAndBuckets() {
        let scale = ColorScale.viridis
        XCTAssertEqual(scale.rgb(at: 0), RGB(68, 1, 84))
        XCTAssertEqual(scale.rgb(at: 1), RGB(253, 231, 37))
        XCTAssertEqual(scale.rgb(at: 2), RGB(253, 231, 37))     // clamped
        XCTAssertEqual(scale.color(at: 0, mode: .ansi16), .ansi(.blue))
        XCTAssertEqual(scale.color(at: 0.5, mode: .ansi16), .ansi(.green))
        XCTAssertEqual(scale.color(at: 1, mode: .ansi16), .ansi(.brightYellow))
        XCTAssertEqual(scale.color(at: 0.3, mode: .none), .default)
        XCTAssertEqual(ColorScale.bucket(0.999, count: 4), 3)
        XCTAssertEqual(ColorScale.bucket(0.25, count: 4), 1)
        XCTAssertEqual(ColorScale.bucket(-3, count: 4), 0)
        if case .indexed = scale.color(at: 0.5, mode: .ansi256) {} else { XCTFail("256 mode must give an index") }
    }
}
