/// How many colours the output can show. Ordered from poorest to richest so modes can be
/// compared (`min(requested, supported)`).
public enum ColorMode: Int, Comparable, CaseIterable, Sendable {
    /// No colour at all: only attributes (bold, reverse, ...). Chosen for `NO_COLOR`.
    case none
    case ansi16
    case ansi256
    case truecolor

    public static func < (lhs: ColorMode, rhs: ColorMode) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The name used in the config file (`set color-mode ...`).
    public var configName: String {
        switch self {
        case .none: return "none"
        case .ansi16: return "16"
        case .ansi256: return "256"
        case .truecolor: return "truecolor"
        }
    }

    public init?(configName: String) {
        switch configName.lowercased() {
        case "none", "off", "mono": self = .none
        case "16", "ansi16": self = .ansi16
        case "256", "ansi256": self = .ansi256
        case "truecolor", "24bit", "rgb": self = .truecolor
        default: return nil
        }
    }

    /// Down-converts `color` to the nearest colour this mode can show. Pure and total:
    /// every colour maps to something (`.default` in `.none`).
    public func convert(_ color: Color) -> Color {
        switch (self, color) {
        case (_, .default), (.truecolor, _):
            return color
        case (.none, _):
            return .default
        case (.ansi256, .ansi), (.ansi256, .indexed):
            return color
        case (.ansi256, .rgb(let v)):
            return .indexed(XtermPalette.nearestIndex(to: v))
        case (.ansi16, .ansi):
            return color
        case (.ansi16, .indexed(let i)) where i < 16:
            return .ansi(ANSIColor(rawValue: i)!)
        case (.ansi16, _):
            return .ansi(XtermPalette.nearestANSI(to: color.referenceRGB!))
        }
    }

    public func convert(_ style: Style) -> Style {
        Style(foreground: convert(style.foreground), background: convert(style.background),
              attributes: style.attributes)
    }

    /// Chooses the mode for the environment and the terminal's colour count (ncurses
    /// `COLORS`; pass 0 when unknown). `NO_COLOR` wins over everything (no-color.org: any
    /// non-empty value); `COLORTERM=truecolor|24bit` promises direct colour even though
    /// terminfo rarely says so.
    public static func detect(environment: [String: String], terminalColors: Int) -> ColorMode {
        if let noColor = environment["NO_COLOR"], !noColor.isEmpty { return .none }
        if environment["TERM"] == "dumb" { return .none }
        let colorTerm = (environment["COLORTERM"] ?? "").lowercased()
        if colorTerm == "truecolor" || colorTerm == "24bit" { return .truecolor }
        if terminalColors >= 1 << 24 { return .truecolor }
        if terminalColors >= 256 { return .ansi256 }
        if terminalColors >= 8 { return .ansi16 }
        return .none
    }
}
