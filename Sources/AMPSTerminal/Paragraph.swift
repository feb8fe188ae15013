/// Word-wrapped text, scrolled by whole lines.
public struct Paragraph: Widget {
    public var text: String
    public var style: Style?
    public var alignment: TextAlignment
    /// Wrapped lines skipped at the top.
    public var scrollOffset: Int

    public init(_ text: String, style: Style? = nil, alignment: TextAlignment = .left, scrollOffset: Int = 0) {
        self.text = text
        self.style = style
        self.alignment = alignment
        self.scrollOffset = scrollOffset
    }

    /// Number of lines the text takes at `width` (to size boxes or scroll limits).
    public func lineCount(width: Int) -> Int { TextWrapping.wrap(text, width: width).count }

    public func draw(into frame: inout Frame, area: Rect, context: RenderContext) {
        guard !area.isEmpty else { return }
        let lines = TextWrapping.wrap(text, width: area.width)
        let start = max(0, min(scrollOffset, lines.count - 1))
        for (i, line) in lines.dropFirst(start).prefix(area.height).enumerated() {
            let placed: String
            switch alignment {
            case .left: placed = line
            case .center, .right: placed = TextFitting.fit(line, width: area.width, alignment: alignment)
            }
            frame.put(placed, x: area.x, y: area.y + i, style: style ?? context.theme.text, clip: area)
        }
    }
}
