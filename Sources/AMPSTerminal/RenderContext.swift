/// What a widget needs to know besides its data: which colours and glyphs the output can
/// show, and the styles to use. Widgets take it as a parameter instead of reading globals,
/// which keeps them pure and lets tests render any combination.
public struct RenderContext: Hashable, Sendable {
    public var colorMode: ColorMode
    public var glyphs: GlyphSet
    public var theme: Theme

    /// `theme` defaults to the standard theme for the colour mode.
    public init(colorMode: ColorMode, glyphs: GlyphSet, theme: Theme? = nil) {
        self.colorMode = colorMode
        self.glyphs = glyphs
        self.theme = theme ?? Theme.standard(for: colorMode)
    }

    /// Truecolor and Unicode: the richest output.
    public static let rich = RenderContext(colorMode: .truecolor, glyphs: .unicode)
    /// No colour and ASCII: the poorest output, which must still be readable.
    public static let plainASCII = RenderContext(colorMode: .none, glyphs: .ascii)

    /// Whether widgets can encode meaning in colour.
    public var hasColor: Bool { colorMode != .none }
}
