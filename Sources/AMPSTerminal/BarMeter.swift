/// Draws the bar part of a horizontal bar: `fraction` of `width` cells filled.
///
/// With Unicode the last filled cell uses eighth blocks (▏▎▍▌▋▊▉), so a 10-cell bar still
/// shows a 1% difference; empty cells are light shade so the bar's extent is visible
/// even without colour.
enum BarMeter {
    static func draw(fraction: Double, x: Int, y: Int, width: Int, fill: Style, empty: Style, clip: Rect,
                     frame: inout Frame, glyphs: GlyphSet) {
        guard width > 0 else { return }
        let f = fraction.isNaN ? 0 : min(1, max(0, fraction))
        let eighths = glyphs.isUnicode ? Int((f * Double(width * 8)).rounded()) : Int((f * Double(width)).rounded()) * 8
        for i in 0..<width {
            let cellEighths = min(8, max(0, eighths - i * 8))
            if cellEighths == 8 {
                frame.put(glyphs.barFilled, x: x + i, y: y, style: fill, clip: clip)
            } else if cellEighths > 0 {
                frame.put(glyphs.horizontalEighths[cellEighths - 1], x: x + i, y: y, style: fill, clip: clip)
            } else {
                frame.put(glyphs.barEmpty, x: x + i, y: y, style: empty, clip: clip)
            }
        }
    }
}
