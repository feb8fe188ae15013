/// Everything about a cell except its glyph.
public struct Style: Hashable, Sendable {
    public var foreground: Color
    public var background: Color
    public var attributes: TextAttributes

    public init(foreground: Color = .default, background: Color = .default, attributes: TextAttributes = []) {
        self.foreground = foreground
        self.background = background
        self.attributes = attributes
    }

    /// Terminal defaults, no attributes.
    public static let plain = Style()

    public static func fg(_ color: Color) -> Style { Style(foreground: color) }

    public func foreground(_ color: Color) -> Style { var s = self; s.foreground = color; return s }
    public func background(_ color: Color) -> Style { var s = self; s.background = color; return s }
    public func adding(_ attributes: TextAttributes) -> Style {
        var s = self
        s.attributes.formUnion(attributes)
        return s
    }

    /// This style drawn on top of `base`: default colours let the base colours show
    /// through, attributes add up. Used to put emphasised text on a coloured bar.
    public func layered(over base: Style) -> Style {
        Style(foreground: foreground == .default ? base.foreground : foreground,
              background: background == .default ? base.background : background,
              attributes: attributes.union(base.attributes))
    }

    /// One-line description for snapshot legends, e.g. "fg=cyan bg=default bold".
    public var legendDescription: String {
        var parts = ["fg=\(foreground.legendName)", "bg=\(background.legendName)"]
        parts.append(contentsOf: attributes.names)
        return parts.joined(separator: " ")
    }
}
