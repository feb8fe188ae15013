/// A grid of numbers shown as coloured cells, e.g. functional entropy for each layer (rows)
/// and each modality (columns).
///
/// - `nil` values are pending (not computed yet) and drawn as a dim pending glyph.
/// - Colour modes colour the cell background with `scale`; `.none` mode draws density glyphs
///   (░▒▓█ or .:-=+*#%@) so the map stays readable without colour.
/// - A marked row range (e.g. the steering window) gets a bar in the gutter after the labels.
/// - Rows that do not fit are scrolled: `firstVisibleRow` is clamped so the `cursor` row is visible.
/// - Layout: column labels on top, then one row per value row, then the legend (range,
///   colour/glyph scale, pending glyph, mark label) right under the last row.
public struct Heatmap: Widget {
    public struct Position: Hashable, Sendable {
        public var row: Int
        public var column: Int
        public init(row: Int, column: Int) {
            self.row = row
            self.column = column
        }
    }

    /// values[row][column]
    public var values: [[Double?]]
    public var rowLabels: [String]
    public var columnLabels: [String]
    /// Values at `range.lowerBound` get the first colour, at `upperBound` the last.
    public var range: ClosedRange<Double>
    public var scale: ColorScale
    /// Columns per cell; nil shares the width evenly (at most 8 per cell).
    public var cellWidth: Int?
    public var showsValues: Bool
    public var decimals: Int
    public var markedRows: ClosedRange<Int>?
    public var markLabel: String?
    /// A highlighted cell (drawn reversed), e.g. the layer being inspected.
    public var cursor: Position?
    public var firstVisibleRow: Int
    public var showsLegend: Bool

    public init(values: [[Double?]], rowLabels: [String] = [], columnLabels: [String] = [],
                range: ClosedRange<Double> = 0...1, scale: ColorScale = .viridis, cellWidth: Int? = nil,
                showsValues: Bool = false, decimals: Int = 2, markedRows: ClosedRange<Int>? = nil,
                markLabel: String? = nil, cursor: Position? = nil, firstVisibleRow: Int = 0,
                showsLegend: Bool = true) {
        self.values = values
        self.rowLabels = rowLabels
        self.columnLabels = columnLabels
        self.range = range
        self.scale = scale
        self.cellWidth = cellWidth
        self.showsValues = showsValues
        self.decimals = decimals
        self.markedRows = markedRows
        self.markLabel = markLabel
        self.cursor = cursor
        self.firstVisibleRow = firstVisibleRow
        self.showsLegend = showsLegend
    }

    var columnCount: Int { max(columnLabels.count, values.map(\.count).max() ?? 0) }
    var labelWidth: Int { rowLabels.map(\.count).max() ?? 0 }

    /// Where the pieces go inside `area`.
    public struct Geometry: Hashable, Sendable {
        public var headerRow: Int?
        public var firstDataRow: Int
        public var visibleRows: Int
        public var labelX: Int
        public var gutterX: Int
        public var cellsX: Int
        public var cellWidth: Int
        public var legendRow: Int?
        /// Index of the first row shown.
        public var firstVisibleRow: Int
    }

    public func geometry(in area: Rect) -> Geometry {
        let header = columnLabels.isEmpty ? 0 : 1
        let legend = showsLegend ? 1 : 0
        let visible = max(0, area.height - header - legend)
        let gutterX = area.x + labelWidth
        let cellsX = gutterX + 1
        let columns = max(1, columnCount)
        let width = cellWidth ?? max(1, min(8, (area.maxX - cellsX) / columns))
        var first = max(0, min(firstVisibleRow, values.count - visible))
        if let cursor, visible > 0 {
            if cursor.row < first { first = cursor.row }
            if cursor.row >= first + visible { first = cursor.row - visible + 1 }
        }
        return Geometry(headerRow: header == 1 ? area.y : nil, firstDataRow: area.y + header,
                        visibleRows: visible, labelX: area.x, gutterX: gutterX, cellsX: cellsX,
                        cellWidth: width,
                        legendRow: legend == 1 && area.height > 0
                            ? area.y + header + min(visible, max(0, values.count - max(0, first))) : nil,
                        firstVisibleRow: max(0, first))
    }

    public func draw(into frame: inout Frame, area: Rect, context: RenderContext) {
        guard !area.isEmpty else { return }
        let g = geometry(in: area)
        let theme = context.theme

        if let headerRow = g.headerRow {
            // Cells touch each other, so labels keep one column free to stay apart.
            let labelWidth = max(1, g.cellWidth - 1)
            for (column, label) in columnLabels.enumerated() {
                let short = TextFitting.truncate(label, width: labelWidth, ellipsis: context.glyphs.ellipsis)
                let text = TextFitting.fit(short, width: g.cellWidth, alignment: .center)
                frame.put(text, x: g.cellsX + column * g.cellWidth, y: headerRow, style: theme.title, clip: area)
            }
        }

        for screenRow in 0..<g.visibleRows {
            let row = g.firstVisibleRow + screenRow
            guard row < values.count else { break }
            let y = g.firstDataRow + screenRow
            let isMarked = markedRows?.contains(row) ?? false
            if row < rowLabels.count {
                let label = TextFitting.fit(rowLabels[row], width: labelWidth, alignment: .right)
                frame.put(label, x: g.labelX, y: y, style: isMarked ? theme.mark : theme.dimText, clip: area)
            }
            if isMarked {
                frame.put(context.glyphs.focusedBorder.vertical, x: g.gutterX, y: y, style: theme.mark, clip: area)
            }
            for column in 0..<columnCount {
                let value = column < values[row].count ? values[row][column] : nil
                let isCursor = cursor == Position(row: row, column: column)
                drawCell(value, x: g.cellsX + column * g.cellWidth, y: y, width: g.cellWidth, isCursor: isCursor,
                         area: area, frame: &frame, context: context)
            }
        }

        if let legendRow = g.legendRow {
            drawLegend(y: legendRow, area: area, frame: &frame, context: context)
        }
    }

    /// 0...1 position of `value` in `range`.
    public func normalized(_ value: Double) -> Double {
        let span = range.upperBound - range.lowerBound
        guard span > 0 else { return 0 }
        return min(1, max(0, (value - range.lowerBound) / span))
    }

    private func drawCell(_ value: Double?, x: Int, y: Int, width: Int, isCursor: Bool, area: Rect,
                          frame: inout Frame, context: RenderContext) {
        let cursorAttributes: TextAttributes = isCursor ? [.reverse, .bold] : []
        guard let value else {
            let text = TextFitting.fit(String(context.glyphs.pending), width: width, alignment: .center)
            frame.put(text, x: x, y: y, style: context.theme.dimText.adding(cursorAttributes), clip: area)
            return
        }
        let t = normalized(value)
        let label = showsValues ? NumberFormatting.compact(value, decimals: decimals, width: width) : nil
        if context.hasColor {
            let background = scale.color(at: t, mode: context.colorMode)
            let style = Style(foreground: Heatmap.readableForeground(on: background), background: background,
                              attributes: cursorAttributes)
            frame.put(TextFitting.fit(label ?? "", width: width, alignment: .center), x: x, y: y, style: style, clip: area)
        } else {
            let ramp = context.glyphs.densityRamp
            let glyph = ramp[ColorScale.bucket(t, count: ramp.count)]
            let text = label.map { TextFitting.fit($0, width: width, alignment: .center) }
                ?? String(repeating: glyph, count: width)
            frame.put(text, x: x, y: y, style: Style(attributes: cursorAttributes), clip: area)
        }
    }

    /// Black text on light cells, white on dark ones.
    static func readableForeground(on background: Color) -> Color {
        guard let rgb = background.referenceRGB else { return .default }
        return rgb.luminance > 0.5 ? .ansi(.black) : .ansi(.brightWhite)
    }

    private func drawLegend(y: Int, area: Rect, frame: inout Frame, context: RenderContext) {
        let low = NumberFormatting.fixed(range.lowerBound, decimals: decimals)
        let high = NumberFormatting.fixed(range.upperBound, decimals: decimals)
        var x = frame.put(low + " ", x: area.x, y: y, style: context.theme.dimText, clip: area)
        if context.hasColor {
            let steps = context.colorMode == .ansi16 ? scale.ansiSteps.count : 10
            for i in 0..<steps {
                let t = steps == 1 ? 0 : Double(i) / Double(steps - 1)
                frame.put(" ", x: x, y: y, style: Style(background: scale.color(at: t, mode: context.colorMode)), clip: area)
                x += 1
            }
        } else {
            x = frame.put(String(context.glyphs.densityRamp), x: x, y: y, clip: area)
        }
        x = frame.put(" " + high, x: x, y: y, style: context.theme.dimText, clip: area)
        if values.contains(where: { $0.contains { $0 == nil } }) {
            x = frame.put("  ", x: x, y: y, clip: area)
            x = frame.put(String(context.glyphs.pending), x: x, y: y, style: context.theme.dimText, clip: area)
            x = frame.put(" pending", x: x, y: y, style: context.theme.dimText, clip: area)
        }
        if markedRows != nil, let markLabel {
            x = frame.put("  ", x: x, y: y, clip: area)
            x = frame.put(String(context.glyphs.focusedBorder.vertical), x: x, y: y, style: context.theme.mark, clip: area)
            frame.put(" " + markLabel, x: x, y: y, style: context.theme.dimText, clip: area)
        }
    }
}
