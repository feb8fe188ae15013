/// A bordered panel with a title on the top edge and an optional footer (e.g. "3/120") on
/// the bottom edge, like the panes of htop or lazygit. Focus is shown three ways at once —
/// colour, bold and heavier lines — so it survives any colour mode and glyph set.
public struct Box: Widget {
    public var title: String
    public var footer: String?
    public var isFocused: Bool
    /// Overrides the theme's border and title style (e.g. the error style for an error box).
    public var style: Style?

    public init(title: String = "", footer: String? = nil, isFocused: Bool = false, style: Style? = nil) {
        self.title = title
        self.footer = footer
        self.isFocused = isFocused
        self.style = style
    }

    /// The area inside the border.
    public static func contentArea(of area: Rect) -> Rect { area.inset(by: 1) }

    public func draw(into frame: inout Frame, area: Rect, context: RenderContext) {
        guard area.width >= 2, area.height >= 2 else { return }
        let theme = context.theme
        let lines = isFocused ? context.glyphs.focusedBorder : context.glyphs.border
        let borderStyle = style ?? (isFocused ? theme.focusedBorder : theme.border)
        let titleStyle = style ?? (isFocused ? theme.focusedTitle : theme.title)
        let right = area.maxX - 1, bottom = area.maxY - 1

        frame.put(lines.topLeft, x: area.x, y: area.y, style: borderStyle)
        frame.put(lines.topRight, x: right, y: area.y, style: borderStyle)
        frame.put(lines.bottomLeft, x: area.x, y: bottom, style: borderStyle)
        frame.put(lines.bottomRight, x: right, y: bottom, style: borderStyle)
        for x in (area.x + 1)..<right {
            frame.put(lines.horizontal, x: x, y: area.y, style: borderStyle)
            frame.put(lines.horizontal, x: x, y: bottom, style: borderStyle)
        }
        for y in (area.y + 1)..<bottom {
            frame.put(lines.vertical, x: area.x, y: y, style: borderStyle)
            frame.put(lines.vertical, x: right, y: y, style: borderStyle)
        }

        // " Title " starting two cells in: one border cell, one space of padding.
        let labelRoom = area.width - 4
        if !title.isEmpty, labelRoom >= 1 {
            let text = TextFitting.truncate(title, width: labelRoom, ellipsis: context.glyphs.ellipsis)
            frame.put(" " + text + " ", x: area.x + 1, y: area.y, style: titleStyle)
        }
        if let footer, !footer.isEmpty, labelRoom >= 1 {
            let text = TextFitting.truncate(footer, width: labelRoom, ellipsis: context.glyphs.ellipsis)
            frame.put(" " + text + " ", x: right - text.count - 2, y: bottom, style: borderStyle)
        }
    }
}
