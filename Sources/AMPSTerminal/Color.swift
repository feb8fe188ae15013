/// A colour as a widget asks for it. Whether the terminal can show it is decided later by
/// `ColorMode.convert(_:)`, so widgets can always ask for the best colour they want.
public enum Color: Hashable, Sendable {
    /// The terminal's own default foreground or background.
    case `default`
    case ansi(ANSIColor)
    /// An index into the xterm 256-colour palette (0-15 are the ANSI colours,
    /// 16-231 a 6x6x6 cube, 232-255 a grey ramp).
    case indexed(UInt8)
    case rgb(RGB)

    public static func rgb(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> Color { .rgb(RGB(r, g, b)) }

    /// The colour's RGB value under the reference palettes; nil for `.default`, whose value
    /// only the terminal knows.
    public var referenceRGB: RGB? {
        switch self {
        case .default: return nil
        case .ansi(let c): return c.referenceRGB
        case .indexed(let i): return XtermPalette.rgb(ofIndex: i)
        case .rgb(let v): return v
        }
    }

    /// Short stable description used in snapshot legends: "default", "red", "idx196", "#ff8800".
    public var legendName: String {
        switch self {
        case .default: return "default"
        case .ansi(let c): return c.name
        case .indexed(let i): return "idx\(i)"
        case .rgb(let v): return v.hex
        }
    }
}
