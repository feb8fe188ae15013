/// A piece of the status line: text (its style is layered over the bar, so `.bold` keeps
/// the bar's colours), or a key hint such as "<q> quit".
public struct StatusItem: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        case text(String, Style?)
        case keyHint(key: String, label: String)
    }

    public var kind: Kind

    public static func text(_ text: String, style: Style? = nil) -> StatusItem { StatusItem(kind: .text(text, style)) }
    public static func keyHint(_ key: String, _ label: String) -> StatusItem {
        StatusItem(kind: .keyHint(key: key, label: label))
    }

    var width: Int {
        switch kind {
        case .text(let text, _): return text.count
        case .keyHint(let key, let label): return key.count + 2 + 1 + label.count
        }
    }
}

/// The bottom row: items on the left (state, messages) and on the right (key hints, like
/// k9s), on a full-width bar. When space runs out the right side is dropped first, then
/// the left side is truncated, since messages matter more than reminders of keys.
public struct StatusLine: Widget {
    public var left: [StatusItem]
    public var right: [StatusItem]

    public init(left: [StatusItem] = [], right: [StatusItem] = []) {
        self.left = left
        self.right = right
    }

    static func width(of items: [StatusItem]) -> Int {
        items.isEmpty ? 0 : items.map(\.width).reduce(0, +) + 2 * (items.count - 1)
    }

    public func draw(into frame: inout Frame, area: Rect, context: RenderContext) {
        guard !area.isEmpty else { return }
        let row = area.row(0)
        let bar = context.theme.statusBar
        frame.fill(row, style: bar)
        let rightWidth = StatusLine.width(of: right)
        let showsRight = rightWidth > 0 && StatusLine.width(of: left) + 2 + rightWidth + 2 <= row.width
        let leftArea = Rect(x: row.x + 1, y: row.y, width: row.width - 2 - (showsRight ? rightWidth + 2 : 0), height: 1)
        draw(left, from: leftArea.x, in: leftArea, frame: &frame, context: context)
        if showsRight {
            let rightArea = Rect(x: row.maxX - 1 - rightWidth, y: row.y, width: rightWidth, height: 1)
            draw(right, from: rightArea.x, in: rightArea, frame: &frame, context: context)
        }
    }

    private func draw(_ items: [StatusItem], from start: Int, in clip: Rect, frame: inout Frame, context: RenderContext) {
        let bar = context.theme.statusBar
        var x = start
        for (i, item) in items.enumerated() {
            if i > 0 { x += 2 }
            switch item.kind {
            case .text(let text, let style):
                let room = clip.maxX - x
                let fitted = text.count > room ? TextFitting.truncate(text, width: room, ellipsis: context.glyphs.ellipsis) : text
                x = frame.put(fitted, x: x, y: clip.y, style: style?.layered(over: bar) ?? bar, clip: clip)
            case .keyHint(let key, let label):
                x = frame.put("<" + key + ">", x: x, y: clip.y, style: context.theme.statusKey, clip: clip)
                x = frame.put(" " + label, x: x, y: clip.y, style: bar, clip: clip)
            }
        }
    }
}
