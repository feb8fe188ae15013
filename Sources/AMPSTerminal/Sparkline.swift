/// A one-row trend: one bar glyph (▁..█ or _.,-~+*#) per value. When there are more
/// values than columns, the most recent (last) ones are shown, like btop's graphs.
public struct Sparkline: Widget {
    public var values: [Double?]
    /// nil: from the smallest to the largest value shown.
    public var range: ClosedRange<Double>?
    public var color: Color?

    public init(values: [Double?], range: ClosedRange<Double>? = nil, color: Color? = nil) {
        self.values = values
        self.range = range
        self.color = color
    }

    public func draw(into frame: inout Frame, area: Rect, context: RenderContext) {
        guard !area.isEmpty else { return }
        let shown = values.suffix(area.width)
        let present = shown.compactMap { $0 }
        let low = range?.lowerBound ?? present.min() ?? 0
        let high = range?.upperBound ?? present.max() ?? 1
        let levels = context.glyphs.sparkline
        let style = Style(foreground: context.hasColor ? (color ?? context.theme.accent.foreground) : .default)
        for (offset, value) in shown.enumerated() {
            let x = area.x + offset
            guard let value else {
                frame.put(context.glyphs.pending, x: x, y: area.y, style: context.theme.dimText, clip: area)
                continue
            }
            // A flat series sits at the lowest level rather than dividing by zero.
            let t = high > low ? (value - low) / (high - low) : 0
            frame.put(levels[ColorScale.bucket(t, count: levels.count)], x: x, y: area.y, style: style, clip: area)
        }
    }
}
