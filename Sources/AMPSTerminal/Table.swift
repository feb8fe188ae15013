/// A column of a `Table`.
public struct TableColumn: Hashable, Sendable {
    public var title: String
    public var width: LayoutLength
    public var alignment: TextAlignment

    public init(_ title: String, width: LayoutLength = .fill, alignment: TextAlignment = .left) {
        self.title = title
        self.width = width
        self.alignment = alignment
    }
}

/// One row of a `Table`: its cell texts and an optional style (e.g. dim for pending rows).
public struct TableRow: Hashable, Sendable {
    public var cells: [String]
    public var style: Style?

    public init(_ cells: [String], style: Style? = nil) {
        self.cells = cells
        self.style = style
    }
}

/// A scrollable, selectable list with columns (a one-column table is a plain list).
///
/// Selection and scrolling live in a `ListState` the pane keeps; drawing scrolls it so the
/// selection stays visible. The selected row is highlighted across the full width, with
/// the focused or unfocused selection style.
public struct Table {
    public var columns: [TableColumn]
    public var rows: [TableRow]
    public var showsHeader: Bool
    public var isFocused: Bool
    /// Shown in the first row when there are no rows.
    public var emptyText: String

    public init(columns: [TableColumn], rows: [TableRow], showsHeader: Bool = true, isFocused: Bool = true,
                emptyText: String = "(empty)") {
        self.columns = columns
        self.rows = rows
        self.showsHeader = showsHeader
        self.isFocused = isFocused
        self.emptyText = emptyText
    }

    /// Rows available for data in `area` (the header takes one).
    public func visibleRowCount(in area: Rect) -> Int {
        max(0, area.height - (showsHeader ? 1 : 0))
    }

    /// Column widths for a given total width; one space separates columns.
    public func columnWidths(totalWidth: Int) -> [Int] {
        let separators = max(0, columns.count - 1)
        return Layout.distribute(totalWidth - separators, columns.map(\.width))
    }

    /// Draws the table and updates `state` so the selection is visible.
    public func draw(into frame: inout Frame, area: Rect, context: RenderContext, state: inout ListState) {
        guard !area.isEmpty else { return }
        let theme = context.theme
        let widths = columnWidths(totalWidth: area.width)
        var y = area.y

        if showsHeader {
            frame.fill(area.row(0), style: theme.header)
            drawCells(columns.map(\.title), widths: widths, y: y, area: area, style: theme.header,
                      frame: &frame, context: context)
            y += 1
        }

        let visible = visibleRowCount(in: area)
        state.scrollToSelection(visibleRows: visible, count: rows.count)
        if rows.isEmpty {
            if visible > 0 {
                frame.put(TextFitting.truncate(emptyText, width: area.width, ellipsis: context.glyphs.ellipsis),
                          x: area.x, y: y, style: theme.dimText, clip: area)
            }
            return
        }
        for index in state.offset..<min(rows.count, state.offset + visible) {
            let row = rows[index]
            var style = row.style ?? theme.text
            if index == state.selected {
                style = isFocused ? theme.selection : theme.inactiveSelection
                frame.fill(Rect(x: area.x, y: y, width: area.width, height: 1), style: style)
            }
            drawCells(row.cells, widths: widths, y: y, area: area, style: style, frame: &frame, context: context)
            y += 1
        }
    }

    private func drawCells(_ texts: [String], widths: [Int], y: Int, area: Rect, style: Style,
                           frame: inout Frame, context: RenderContext) {
        var x = area.x
        for (i, column) in columns.enumerated() {
            let text = i < texts.count ? texts[i] : ""
            let fitted = TextFitting.fit(text, width: widths[i], alignment: column.alignment,
                                         ellipsis: context.glyphs.ellipsis)
            frame.put(fitted, x: x, y: y, style: style, clip: area)
            x += widths[i] + 1
            // The separator takes the row's style so a selection bar has no gaps.
            if i < columns.count - 1 { frame.put(" ", x: x - 1, y: y, style: style, clip: area) }
        }
    }
}
