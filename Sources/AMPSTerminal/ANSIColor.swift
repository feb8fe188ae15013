/// The 16 colours every colour terminal has. Their actual RGB values belong to the user's
/// terminal theme; `referenceRGB` is the xterm default, used only to measure distances when
/// down-converting richer colours.
public enum ANSIColor: UInt8, CaseIterable, Sendable {
    case black = 0, red, green, yellow, blue, magenta, cyan, white
    case brightBlack, brightRed, brightGreen, brightYellow, brightBlue, brightMagenta, brightCyan, brightWhite

    /// xterm's default palette. Distances are measured against it because it is the most
    /// common default and is what the 256-colour cube was designed alongside.
    public var referenceRGB: RGB {
        switch self {
        case .black: return RGB(0, 0, 0)
        case .red: return RGB(205, 0, 0)
        case .green: return RGB(0, 205, 0)
        case .yellow: return RGB(205, 205, 0)
        case .blue: return RGB(0, 0, 238)
        case .magenta: return RGB(205, 0, 205)
        case .cyan: return RGB(0, 205, 205)
        case .white: return RGB(229, 229, 229)
        case .brightBlack: return RGB(127, 127, 127)
        case .brightRed: return RGB(255, 0, 0)
        case .brightGreen: return RGB(0, 255, 0)
        case .brightYellow: return RGB(255, 255, 0)
        case .brightBlue: return RGB(92, 92, 255)
        case .brightMagenta: return RGB(255, 0, 255)
        case .brightCyan: return RGB(0, 255, 255)
        case .brightWhite: return RGB(255, 255, 255)
        }
    }

    /// Lower-camel-case name, as written in snapshot legends.
    public var name: String { String(describing: self) }

    /// The non-bright twin (brightRed -> red); used on 8-colour terminals.
    public var base: ANSIColor { ANSIColor(rawValue: rawValue % 8)! }
}
