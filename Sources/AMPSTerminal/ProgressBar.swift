/// A one-row progress bar: `label [bar] 42%`. A nil fraction means the amount of work is
/// unknown; the bar area then shows the spinner frame for `tick` and the text "working".
public struct ProgressBar: Widget {
    public var label: String
    public var fraction: Double?
    public var tick: Int

    public init(label: String = "", fraction: Double?, tick: Int = 0) {
        self.label = label
        self.fraction = fraction
        self.tick = tick
    }

    public func draw(into frame: inout Frame, area: Rect, context: RenderContext) {
        guard !area.isEmpty else { return }
        let y = area.y
        var x = area.x
        if !label.isEmpty {
            x = frame.put(label + " ", x: x, y: y, style: context.theme.text, clip: area)
        }
        guard let fraction else {
            let spinner = Spinner(tick: tick).glyph(context.glyphs)
            frame.put(String(spinner) + " working", x: x, y: y, style: context.theme.accent, clip: area)
            return
        }
        let percent = NumberFormatting.percent(min(1, max(0, fraction)), decimals: 0)
        let barWidth = area.maxX - x - 6
        let fill = context.hasColor ? context.theme.accent : .plain
        BarMeter.draw(fraction: fraction, x: x, y: y, width: barWidth, fill: fill, empty: context.theme.dimText,
                      clip: area, frame: &frame, glyphs: context.glyphs)
        frame.put(TextFitting.fit(percent, width: 5, alignment: .right), x: area.maxX - 5, y: y,
                  style: context.theme.text, clip: area)
    }
}
