/// One bar of a `BarChart`.
public struct Bar: Hashable, Sendable {
    public var label: String
    /// 0...1 (clamped when drawn).
    public var value: Double
    public var color: Color?

    public init(_ label: String, value: Double, color: Color? = nil) {
        self.label = label
        self.value = value
        self.color = color
    }
}

/// Horizontal bars with aligned labels and percentages, one per row:
///
///     P(vision) ███████▌░░░░  62.5%
///     P(text)   ██▏░░░░░░░░░  17.0%
public struct BarChart: Widget {
    public var bars: [Bar]
    public var decimals: Int

    public init(bars: [Bar], decimals: Int = 1) {
        self.bars = bars
        self.decimals = decimals
    }

    public func draw(into frame: inout Frame, area: Rect, context: RenderContext) {
        guard !area.isEmpty else { return }
        let labelWidth = bars.map(\.label.count).max() ?? 0
        // "100.0%" is the widest percentage.
        let percentWidth = NumberFormatting.percent(1, decimals: decimals).count
        let barWidth = area.width - labelWidth - percentWidth - 2
        for (index, bar) in bars.prefix(area.height).enumerated() {
            let y = area.y + index
            let color = bar.color ?? context.theme.seriesColors[index % max(1, context.theme.seriesColors.count)]
            frame.put(TextFitting.fit(bar.label, width: labelWidth), x: area.x, y: y, style: context.theme.text, clip: area)
            let fill = context.hasColor ? Style(foreground: color) : .plain
            BarMeter.draw(fraction: bar.value, x: area.x + labelWidth + 1, y: y, width: barWidth, fill: fill,
                          empty: context.theme.dimText, clip: area, frame: &frame, glyphs: context.glyphs)
            let clamped = bar.value.isNaN ? 0 : min(1, max(0, bar.value))
            let percent = TextFitting.fit(NumberFormatting.percent(clamped, decimals: decimals), width: percentWidth,
                                          alignment: .right)
            frame.put(percent, x: area.maxX - percentWidth, y: y, style: context.theme.text, clip: area)
        }
    }
}
