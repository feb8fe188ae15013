import AMPSTerminal
import SnapshotSupport
import XCTest

final class HalfBlockImageTests: XCTestCase {
    /// 4x4: red, green / blue, white quadrants.
    let quadrants: RGBImage = {
        var pixels: [UInt8] = []
        for y in 0..<4 {
            for x in 0..<4 {
                switch (x < 2, y < 2) {
                case (true, true): pixels += [255, 0, 0]
                case (false, true): pixels += [0, 255, 0]
                case (true, false): pixels += [0, 0, 255]
                case (false, false): pixels += [255, 255, 255]
                }
            }
        }
        return RGBImage(width: 4, height: 4, pixels: pixels)!
    }()

    /// 2x2: top row black/white, bottom row white/black.
    let checker = RGBImage(width: 2, height: 2, pixels: [0, 0, 0, 255, 255, 255, 255, 255, 255, 0, 0, 0])!

    func testRejectsWrongBufferSize() {
        XCTAssertNil(RGBImage(width: 2, height: 2, pixels: [0, 0, 0]))
    }

    func testTopPixelIsForegroundBottomPixelIsBackground() {
        let frame = render(HalfBlockImage(image: checker), width: 2, height: 1, context: Contexts.rich)
        XCTAssertEqual(frame[0, 0], Cell("▀", foreground: .rgb(0, 0, 0), background: .rgb(255, 255, 255)))
        XCTAssertEqual(frame[1, 0], Cell("▀", foreground: .rgb(255, 255, 255), background: .rgb(0, 0, 0)))
    }

    func testScalingKeepsAspectAndCentres() {
        // 4x4 pixels into 8x2 cells (8x4 pixels): height limits to 4x4, centred with 2 columns each side.
        let image = HalfBlockImage(image: quadrants)
        XCTAssertEqual(image.scaledPixelSize(in: Rect(x: 0, y: 0, width: 8, height: 2)).width, 4)
        let frame = render(image, width: 8, height: 2, context: Contexts.rich)
        XCTAssertEqual(frame[1, 0], .blank)
        XCTAssertEqual(frame[2, 0], Cell("▀", foreground: .rgb(255, 0, 0), background: .rgb(255, 0, 0)))
        XCTAssertEqual(frame[5, 1], Cell("▀", foreground: .rgb(255, 255, 255), background: .rgb(255, 255, 255)))
        XCTAssertEqual(frame[6, 1], .blank)
        // Downscaled 4x4 -> 2x2 cells... into a 2x1 area: 2 wide, 2 pixels tall, one of each quadrant colour.
        let small = render(image, width: 2, height: 1, context: Contexts.rich)
        XCTAssertEqual(small[0, 0], Cell("▀", foreground: .rgb(255, 0, 0), background: .rgb(0, 0, 255)))
        XCTAssertEqual(small[1, 0], Cell("▀", foreground: .rgb(0, 255, 0), background: .rgb(255, 255, 255)))
    }

    func testOddPixelHeightUsesLowerHalfBlockAtTheTop() {
        // 4x4 into 4x3 cells = 4x6 pixels: fits 4x4, 1 pixel row padding above, so the first
        // row of cells shows only its bottom pixel.
        let frame = render(HalfBlockImage(image: quadrants), width: 4, height: 3, context: Contexts.rich)
        XCTAssertEqual(frame[0, 0], Cell("▄", foreground: .rgb(255, 0, 0)))
        XCTAssertEqual(frame[0, 2], Cell("▀", foreground: .rgb(0, 0, 255)))
    }

    func testColorModesConvertToNearest() {
        let c256 = render(HalfBlockImage(image: quadrants), width: 4, height: 2, context: Contexts.ansi256)
        XCTAssertEqual(c256[0, 0], Cell("▀", foreground: .indexed(196), background: .indexed(196)))
        XCTAssertEqual(c256[0, 1], Cell("▀", foreground: .indexed(21), background: .indexed(21)))
        let c16 = render(HalfBlockImage(image: quadrants), width: 4, height: 2, context: Contexts.ansi16)
        XCTAssertEqual(c16[3, 1], Cell("▀", foreground: .ansi(.brightWhite), background: .ansi(.brightWhite)))
        assertSnapshot(c16, named: "image-16")
    }

    func testNoColorUsesLuminanceRamp() {
        let frame = render(HalfBlockImage(image: quadrants), width: 4, height: 2, context: Contexts.plainASCII)
        // Luminance: red 0.21 -> bucket 2 of 10 (':'), green 0.72 -> 7 ('#'), blue 0.07 -> 0 (' '), white -> '@'.
        XCTAssertEqual(frame.plainText(), "::##\n  @@")
        assertSnapshot(frame, named: "image-ascii-nocolor")
    }

    func testASCIIWithColorPaintsBackgrounds() {
        let context = RenderContext(colorMode: .ansi16, glyphs: .ascii)
        let frame = render(HalfBlockImage(image: checker), width: 2, height: 1, context: context)
        // Average of black and white is (128,128,128): bright black.
        XCTAssertEqual(frame[0, 0], Cell(" ", background: .ansi(.brightBlack)))
    }
}
