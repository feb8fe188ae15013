/// One terminal column of one row.
///
/// The glyph must occupy exactly one column: wide (CJK, emoji) characters are not supported
/// and would shift the rest of the row on screen.
public struct Cell: Hashable, Sendable {
    public var glyph: Character
    public var foreground: Color
    public var background: Color
    public var attributes: TextAttributes

    public init(_ glyph: Character = " ", foreground: Color = .default, background: Color = .default,
                attributes: TextAttributes = []) {
        self.glyph = glyph
        self.foreground = foreground
        self.background = background
        self.attributes = attributes
    }

    public init(_ glyph: Character, style: Style) {
        self.init(glyph, foreground: style.foreground, background: style.background, attributes: style.attributes)
    }

    public static let blank = Cell()

    public var style: Style {
        get { Style(foreground: foreground, background: background, attributes: attributes) }
        set {
            foreground = newValue.foreground
            background = newValue.background
            attributes = newValue.attributes
        }
    }
}
