/// Every non-letter glyph the widgets draw, in a Unicode and an ASCII flavour.
///
/// Widgets never hard-code box-drawing or block characters; they ask the glyph set, so a
/// non-UTF-8 terminal (or `set glyphs ascii`) gets a readable picture made of ASCII.
public struct GlyphSet: Hashable, Sendable {
    /// True for the Unicode set. Widgets that have no ASCII equivalent of a technique
    /// (braille plots, half-block images) check this to pick another technique.
    public var isUnicode: Bool

    public var border: BorderGlyphs
    public var focusedBorder: BorderGlyphs

    /// Axis pieces for charts.
    public var axisTickLeft: Character      // ┤ : y tick on the y axis
    public var axisTickUp: Character        // ┬ : x tick on the x axis
    public var axisCorner: Character        // └
    /// Vertical marker line drawn through a chart (distinct from the axis).
    public var markerLine: Character

    public var upperHalfBlock: Character    // ▀
    public var lowerHalfBlock: Character    // ▄
    public var fullBlock: Character         // █
    /// Light to dark shades (░▒▓); used for empty bar parts.
    public var shades: [Character]
    /// Light to dense glyphs for showing a value without colour (heatmap, image in
    /// no-colour mode). Unicode: ░▒▓█; ASCII: .:-=+*#%@
    public var densityRamp: [Character]
    /// Eight heights, lowest first: ▁▂▃▄▅▆▇█
    public var sparkline: [Character]
    /// Eighths of a cell for horizontal bars, 1/8 to 8/8: ▏▎▍▌▋▊▉█
    public var horizontalEighths: [Character]
    /// Filled and empty parts of an ASCII-safe bar.
    public var barFilled: Character
    public var barEmpty: Character

    public var arrowUp: Character
    public var arrowDown: Character
    public var arrowLeft: Character
    public var arrowRight: Character

    /// Cell value not computed yet (heatmap).
    public var pending: Character
    /// Marks truncated text.
    public var ellipsis: Character
    /// Points of different chart series when they cannot be told apart by colour.
    public var seriesMarkers: [Character]
    public var spinnerFrames: [Character]

    public static let unicode = GlyphSet(
        isUnicode: true,
        border: .light, focusedBorder: .heavy,
        axisTickLeft: "┤", axisTickUp: "┬", axisCorner: "└", markerLine: "┆",
        upperHalfBlock: "▀", lowerHalfBlock: "▄", fullBlock: "█",
        shades: ["░", "▒", "▓"],
        densityRamp: ["░", "▒", "▓", "█"],
        sparkline: ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"],
        horizontalEighths: ["▏", "▎", "▍", "▌", "▋", "▊", "▉", "█"],
        barFilled: "█", barEmpty: "░",
        arrowUp: "↑", arrowDown: "↓", arrowLeft: "←", arrowRight: "→",
        pending: "·", ellipsis: "…",
        seriesMarkers: ["●", "▲", "■", "◆", "✚"],
        spinnerFrames: ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"])

    public static let ascii = GlyphSet(
        isUnicode: false,
        border: .ascii, focusedBorder: .asciiFocused,
        axisTickLeft: "+", axisTickUp: "+", axisCorner: "+", markerLine: ":",
        upperHalfBlock: "^", lowerHalfBlock: "_", fullBlock: "#",
        shades: [".", ":", "#"],
        densityRamp: [".", ":", "-", "=", "+", "*", "#", "%", "@"],
        sparkline: ["_", ".", ",", "-", "~", "+", "*", "#"],
        horizontalEighths: ["#", "#", "#", "#", "#", "#", "#", "#"],
        barFilled: "#", barEmpty: ".",
        arrowUp: "^", arrowDown: "v", arrowLeft: "<", arrowRight: ">",
        pending: "?", ellipsis: "~",
        seriesMarkers: ["*", "+", "o", "x", "%"],
        spinnerFrames: ["|", "/", "-", "\\"])

    /// Unicode when the locale's character set is UTF-8, ASCII otherwise. The locale is
    /// read the way setlocale(LC_CTYPE, "") does: LC_ALL, then LC_CTYPE, then LANG; the
    /// first non-empty one decides, and no locale at all means "C", which is ASCII.
    public static func detect(environment: [String: String]) -> GlyphSet {
        isUTF8Locale(environment: environment) ? .unicode : .ascii
    }

    public static func isUTF8Locale(environment: [String: String]) -> Bool {
        let locale = ["LC_ALL", "LC_CTYPE", "LANG"].lazy.compactMap { environment[$0] }.first { !$0.isEmpty } ?? "C"
        let normalized = String(locale.lowercased().filter { $0 != "-" })
        return normalized.contains("utf8")
    }
}
