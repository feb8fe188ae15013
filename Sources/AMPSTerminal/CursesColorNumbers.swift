/// Colour numbers as ncurses expects them for a terminal with `colors` colours (COLORS).
/// The frame's colours are already converted to the output mode; this only encodes them.
struct CursesColorNumbers {
    /// ncurses COLORS.
    let colors: Int
    /// Whether `use_default_colors` succeeded, allowing -1 for the terminal's defaults.
    let hasDefaultColors: Bool

    /// Terminals whose terminfo says "direct colour" (e.g. xterm-direct): colour numbers
    /// are packed 0xRRGGBB, except that 0-7 still mean the ANSI colours.
    var isDirect: Bool { colors >= 1 << 24 }

    /// Returns the colour number and whether bold must stand in for brightness (8-colour
    /// terminals show bright foregrounds as bold base colours).
    func number(for color: Color, isForeground: Bool) -> (number: Int32, needsBold: Bool) {
        switch color {
        case .default:
            if hasDefaultColors { return (-1, false) }
            return (isForeground ? 7 : 0, false)
        case .ansi(let ansi):
            if colors >= 16 && !isDirect { return (Int32(ansi.rawValue), false) }
            if ansi.rawValue < 8 { return (Int32(ansi.rawValue), false) }
            if isDirect { return (packed(ansi.referenceRGB), false) }
            return (Int32(ansi.base.rawValue), isForeground)
        case .indexed(let index):
            if index < 16 { return number(for: .ansi(ANSIColor(rawValue: index)!), isForeground: isForeground) }
            if isDirect { return (packed(XtermPalette.rgb(ofIndex: index)), false) }
            if colors >= 256 { return (Int32(index), false) }
            return number(for: .ansi(XtermPalette.nearestANSI(to: XtermPalette.rgb(ofIndex: index))),
                          isForeground: isForeground)
        case .rgb(let rgb):
            if isDirect { return (packed(rgb), false) }
            if colors >= 256 { return (Int32(XtermPalette.nearestIndex(to: rgb)), false) }
            return number(for: .ansi(XtermPalette.nearestANSI(to: rgb)), isForeground: isForeground)
        }
    }

    /// 0xRRGGBB, kept out of 0-7 where direct-colour terminfo means ANSI colours.
    private func packed(_ rgb: RGB) -> Int32 {
        max(8, Int32(rgb.r) << 16 | Int32(rgb.g) << 8 | Int32(rgb.b))
    }
}
