/// Terminal-related preferences from the config file (`set color-mode 256`, ...).
/// nil means "detect".
public struct TerminalSettings: Hashable, Sendable {
    public var colorMode: ColorMode?
    /// nil: from the locale.
    public var glyphs: GlyphSet?
    public var mouse: Bool

    public init(colorMode: ColorMode? = nil, glyphs: GlyphSet? = nil, mouse: Bool = true) {
        self.colorMode = colorMode
        self.glyphs = glyphs
        self.mouse = mouse
    }

    /// The option names `set` accepts for these settings.
    public static let optionNames = ["color-mode", "glyphs", "mouse"]

    /// Applies one `set` line; returns a problem description for an invalid value, nil on
    /// success. Unknown names are the caller's to report.
    mutating func set(_ option: String, _ value: String) -> String? {
        switch option {
        case "color-mode":
            if value == "auto" {
                colorMode = nil
            } else if let mode = ColorMode(configName: value) {
                colorMode = mode
            } else {
                return "invalid value '\(value)' for option 'color-mode' (expected auto, none, 16, 256 or truecolor)"
            }
        case "glyphs":
            switch value {
            case "auto": glyphs = nil
            case "unicode": glyphs = .unicode
            case "ascii": glyphs = .ascii
            default: return "invalid value '\(value)' for option 'glyphs' (expected auto, unicode or ascii)"
            }
        case "mouse":
            switch value {
            case "on", "yes", "true": mouse = true
            case "off", "no", "false": mouse = false
            default: return "invalid value '\(value)' for option 'mouse' (expected on or off)"
            }
        default:
            return "unknown option '\(option)'"
        }
        return nil
    }

    /// The colour mode to use: the setting if given (an explicit setting beats `NO_COLOR`,
    /// as no-color.org allows), otherwise detected.
    public func resolvedColorMode(environment: [String: String], terminalColors: Int) -> ColorMode {
        colorMode ?? ColorMode.detect(environment: environment, terminalColors: terminalColors)
    }

    public func resolvedGlyphs(environment: [String: String]) -> GlyphSet {
        glyphs ?? GlyphSet.detect(environment: environment)
    }
}
