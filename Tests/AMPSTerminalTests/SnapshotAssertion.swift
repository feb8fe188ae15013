import AMPSTerminal
import SnapshotSupport

/// Renders `widget` into a fresh frame of the given size.
func render(_ widget: some Widget, width: Int, height: Int, context: RenderContext) -> Frame {
    var frame = Frame(width: width, height: height)
    widget.draw(into: &frame, area: frame.bounds, context: context)
    return frame
}

/// The contexts most widget snapshots are taken in.
enum Contexts {
    /// Truecolor + Unicode.
    static let rich = RenderContext.rich
    /// 16 colours + Unicode.
    static let ansi16 = RenderContext(colorMode: .ansi16, glyphs: .unicode)
    /// 256 colours + Unicode.
    static let ansi256 = RenderContext(colorMode: .ansi256, glyphs: .unicode)
    /// No colour + ASCII: what NO_COLOR on a non-UTF-8 terminal gets.
    static let plainASCII = RenderContext.plainASCII
    /// No colour + Unicode.
    static let monoUnicode = RenderContext(colorMode: .none, glyphs: .unicode)
}
