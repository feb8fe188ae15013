/// A full-screen error: a centred box with a title, the wrapped message and a hint.
public struct ErrorScreen: Widget {
    public var title: String
    public var message: String
    public var hint: String?

    public init(title: String = "Error", message: String, hint: String? = "Press q to quit.") {
        self.title = title
        self.message = message
        self.hint = hint
    }

    public func draw(into frame: inout Frame, area: Rect, context: RenderContext) {
        guard !area.isEmpty else { return }
        frame.fill(area, style: context.theme.text)
        // Wrap to at most 60 columns: long lines are hard to read.
        let textWidth = max(1, min(60, area.width - 4))
        let messageLines = TextWrapping.wrap(message, width: textWidth)
        let hintLines = hint.map { [""] + TextWrapping.wrap($0, width: textWidth) } ?? []
        let allLines = messageLines + hintLines
        let innerWidth = max(allLines.map(\.count).max() ?? 0, title.count + 2)
        let box = area.centered(width: innerWidth + 4, height: allLines.count + 2)
        guard box.width >= 4, box.height >= 3 else {
            frame.put(TextFitting.truncate(title + ": " + message, width: area.width, ellipsis: context.glyphs.ellipsis),
                      x: area.x, y: area.y, style: context.theme.error, clip: area)
            return
        }
        // Heavy lines and the error style: reads as an error with or without colour.
        Box(title: title, isFocused: true, style: context.theme.error).draw(into: &frame, area: box, context: context)
        let inner = Box.contentArea(of: box).inset(left: 1, right: 1)
        for (i, line) in allLines.enumerated() {
            let style = i < messageLines.count ? context.theme.text : context.theme.dimText
            frame.put(line, x: inner.x, y: inner.y + i, style: style, clip: inner)
        }
    }
}
