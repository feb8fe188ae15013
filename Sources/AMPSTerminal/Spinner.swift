/// An activity indicator that advances one frame per `tick` (the caller's redraw counter).
public struct Spinner: Widget {
    public var tick: Int
    public var label: String

    public init(tick: Int, label: String = "") {
        self.tick = tick
        self.label = label
    }

    public func glyph(_ glyphs: GlyphSet) -> Character {
        let frames = glyphs.spinnerFrames
        return frames[((tick % frames.count) + frames.count) % frames.count]
    }

    public func draw(into frame: inout Frame, area: Rect, context: RenderContext) {
        guard !area.isEmpty else { return }
        let text = label.isEmpty ? String(glyph(context.glyphs)) : String(glyph(context.glyphs)) + " " + label
        frame.put(text, x: area.x, y: area.y, style: context.theme.accent, clip: area)
    }
}
