/// One line of a `LineChart`: a value (or nil, a gap) for each x of the chart's grid.
public struct ChartSeries: Hashable, Sendable {
    public var name: String
    public var values: [Double?]
    /// nil takes the theme's series colour for this position.
    public var color: Color?

    public init(name: String, values: [Double?], color: Color? = nil) {
        self.name = name
        self.values = values
        self.color = color
    }
}

/// A labelled vertical line at an x value (e.g. the current alpha, alpha_flip).
public struct ChartMarker: Hashable, Sendable {
    public var x: Double
    public var label: String
    public var color: Color?

    public init(x: Double, label: String, color: Color? = nil) {
        self.x = x
        self.label = label
        self.color = color
    }
}

/// Maps chart values to cells. Public so panes can turn a mouse click into an x value.
public struct ChartGeometry: Hashable, Sendable {
    /// The plotting area (excludes axes, labels and legend).
    public var plot: Rect
    public var xRange: ClosedRange<Double>
    public var yRange: ClosedRange<Double>
    /// Sub-cell resolution: 2x4 with braille, 1x1 with marker glyphs.
    public var dotsPerColumn: Int
    public var dotsPerRow: Int

    public var dotWidth: Int { plot.width * dotsPerColumn }
    public var dotHeight: Int { plot.height * dotsPerRow }

    /// Dot column of `x` (0 = left edge of the plot), rounded to nearest.
    public func dotColumn(forX x: Double) -> Int {
        let span = xRange.upperBound - xRange.lowerBound
        guard span > 0, dotWidth > 1 else { return 0 }
        return LineChart.dot(((x - xRange.lowerBound) / span * Double(dotWidth - 1)).rounded())
    }

    /// Screen column of `x`; a marker at x lands in the same column as the series point at x.
    public func column(forX x: Double) -> Int { plot.x + dotColumn(forX: x) / dotsPerColumn }

    /// Dot row of `y` (0 = top of the plot).
    public func dotRow(forY y: Double) -> Int {
        let span = yRange.upperBound - yRange.lowerBound
        guard span > 0, dotHeight > 1 else { return 0 }
        return LineChart.dot(((yRange.upperBound - y) / span * Double(dotHeight - 1)).rounded())
    }

    /// Screen row of `y`.
    public func row(forY y: Double) -> Int { plot.y + dotRow(forY: y) / dotsPerRow }

    /// The x value at the centre of a screen column (for mouse clicks); nil outside the plot.
    public func x(forColumn column: Int) -> Double? {
        guard column >= plot.x, column < plot.maxX else { return nil }
        let span = xRange.upperBound - xRange.lowerBound
        guard dotWidth > 1 else { return xRange.lowerBound }
        let dot = Double((column - plot.x) * dotsPerColumn) + Double(dotsPerColumn - 1) / 2
        return xRange.lowerBound + min(1, dot / Double(dotWidth - 1)) * span
    }

    /// The x value of a dot column.
    func x(forDot dot: Int) -> Double {
        guard dotWidth > 1 else { return xRange.lowerBound }
        return xRange.lowerBound + Double(dot) / Double(dotWidth - 1) * (xRange.upperBound - xRange.lowerBound)
    }
}

/// Several series over a shared x grid, e.g. P(vision), P(text), P(other) against alpha.
///
/// Layout, top to bottom: legend, marker labels, plot, x axis, x labels; y labels on the
/// left. Lines are braille dots with Unicode and colour; otherwise each series draws its
/// own marker glyph (●▲■ or *+o) so series stay distinguishable without colour.
public struct LineChart: Widget {
    /// Ascending x values shared by all series.
    public var xs: [Double]
    public var series: [ChartSeries]
    public var yRange: ClosedRange<Double>
    public var yTicks: [Double]
    public var yDecimals: Int
    /// nil: first, middle and last of `xs`.
    public var xTicks: [Double]?
    public var xDecimals: Int
    public var markers: [ChartMarker]
    public var showsLegend: Bool

    public init(xs: [Double], series: [ChartSeries], yRange: ClosedRange<Double> = 0...1,
                yTicks: [Double] = [0, 0.5, 1], yDecimals: Int = 1, xTicks: [Double]? = nil, xDecimals: Int = 2,
                markers: [ChartMarker] = [], showsLegend: Bool = true) {
        self.xs = xs
        self.series = series
        self.yRange = yRange
        self.yTicks = yTicks
        self.yDecimals = yDecimals
        self.xTicks = xTicks
        self.xDecimals = xDecimals
        self.markers = markers
        self.showsLegend = showsLegend
    }

    /// Braille needs Unicode; without colour the series would be indistinguishable dots.
    public static func usesBraille(_ context: RenderContext) -> Bool {
        context.glyphs.isUnicode && context.hasColor
    }

    var xRange: ClosedRange<Double> {
        guard let first = xs.first, let last = xs.last, last > first else {
            let v = xs.first ?? 0
            return v...v
        }
        return first...last
    }

    var effectiveXTicks: [Double] {
        if let xTicks { return xTicks }
        guard let first = xs.first, let last = xs.last else { return [] }
        return first == last ? [first] : [first, (first + last) / 2, last]
    }

    var yLabelWidth: Int { yTicks.map { NumberFormatting.fixed($0, decimals: yDecimals).count }.max() ?? 0 }

    var legendRows: Int { showsLegend && !series.isEmpty ? 1 : 0 }
    var markerRows: Int { markers.isEmpty ? 0 : 1 }

    public func geometry(in area: Rect, context: RenderContext) -> ChartGeometry {
        let top = legendRows + markerRows
        let plotHeight = area.height - top - 2
        let plot = Rect(x: area.x + yLabelWidth + 1, y: area.y + top, width: area.width - yLabelWidth - 1,
                        height: plotHeight)
        let braille = LineChart.usesBraille(context)
        return ChartGeometry(plot: plot, xRange: xRange, yRange: yRange, dotsPerColumn: braille ? 2 : 1,
                             dotsPerRow: braille ? 4 : 1)
    }

    public func draw(into frame: inout Frame, area: Rect, context: RenderContext) {
        let g = geometry(in: area, context: context)
        guard !g.plot.isEmpty else { return }
        drawAxes(g, area: area, frame: &frame, context: context)
        drawMarkers(g, area: area, frame: &frame, context: context)
        if LineChart.usesBraille(context) {
            drawBraille(g, frame: &frame, context: context)
        } else {
            drawGlyphMarkers(g, frame: &frame, context: context)
        }
        if legendRows == 1 { drawLegend(y: area.y, area: area, frame: &frame, context: context) }
    }

    func color(ofSeries index: Int, context: RenderContext) -> Color {
        if let color = series[index].color { return color }
        let palette = context.theme.seriesColors
        return palette.isEmpty ? .default : palette[index % palette.count]
    }

    func markerGlyph(ofSeries index: Int, context: RenderContext) -> Character {
        let glyphs = context.glyphs.seriesMarkers
        return glyphs[index % glyphs.count]
    }

    /// Linear interpolation of a series at `x`; nil outside the grid or next to a gap.
    func value(of series: ChartSeries, at x: Double) -> Double? {
        guard !xs.isEmpty else { return nil }
        for i in xs.indices {
            let value = i < series.values.count ? series.values[i] : nil
            if xs[i] == x { return value }
            if i + 1 < xs.count, xs[i] < x, x < xs[i + 1] {
                guard let a = value, i + 1 < series.values.count, let b = series.values[i + 1] else { return nil }
                return a + (b - a) * (x - xs[i]) / (xs[i + 1] - xs[i])
            }
        }
        return nil
    }

    private func drawAxes(_ g: ChartGeometry, area: Rect, frame: inout Frame, context: RenderContext) {
        let style = context.theme.dimText
        let glyphs = context.glyphs
        let axisX = g.plot.x - 1
        for y in g.plot.y..<g.plot.maxY {
            frame.put(glyphs.border.vertical, x: axisX, y: y, style: style, clip: area)
        }
        for tick in yTicks where yRange.contains(tick) {
            let y = g.row(forY: tick)
            let label = TextFitting.fit(NumberFormatting.fixed(tick, decimals: yDecimals), width: yLabelWidth,
                                        alignment: .right)
            frame.put(label, x: area.x, y: y, style: style, clip: area)
            frame.put(glyphs.axisTickLeft, x: axisX, y: y, style: style, clip: area)
        }
        let axisY = g.plot.maxY
        frame.put(glyphs.axisCorner, x: axisX, y: axisY, style: style, clip: area)
        for x in g.plot.x..<g.plot.maxX {
            frame.put(glyphs.border.horizontal, x: x, y: axisY, style: style, clip: area)
        }
        var labelsEnd = area.x
        for tick in effectiveXTicks where xRange.contains(tick) {
            let column = g.column(forX: tick)
            frame.put(glyphs.axisTickUp, x: column, y: axisY, style: style, clip: area)
            let label = NumberFormatting.fixed(tick, decimals: xDecimals)
            let start = min(max(area.x, column - (label.count - 1) / 2), area.maxX - label.count)
            // Skip a label rather than let two overlap into nonsense.
            guard start >= labelsEnd else { continue }
            labelsEnd = frame.put(label, x: start, y: axisY + 1, style: style, clip: area) + 1
        }
    }

    private func drawMarkers(_ g: ChartGeometry, area: Rect, frame: inout Frame, context: RenderContext) {
        let labelRow = area.y + legendRows
        var labelsEnd = area.x
        for marker in markers.sorted(by: { $0.x < $1.x }) where xRange.contains(marker.x) {
            let column = g.column(forX: marker.x)
            let style = marker.color.map { Style(foreground: $0) } ?? context.theme.mark
            for y in g.plot.y..<g.plot.maxY {
                frame.put(context.glyphs.markerLine, x: column, y: y, style: style, clip: area)
            }
            // Label starts at the marker's column; shifted left at the right edge and right
            // of the previous label when they would collide.
            var start = min(column, area.maxX - marker.label.count)
            start = max(start, labelsEnd, area.x)
            labelsEnd = frame.put(marker.label, x: start, y: labelRow, style: style, clip: area) + 1
        }
    }

    private func drawBraille(_ g: ChartGeometry, frame: inout Frame, context: RenderContext) {
        var canvas = BrailleCanvas(columns: g.plot.width, rows: g.plot.height)
        for (index, line) in series.enumerated() {
            let color = color(ofSeries: index, context: context)
            var previousRow: Int?
            for dot in 0..<g.dotWidth {
                guard let y = value(of: line, at: g.x(forDot: dot)), yRange.contains(y) else {
                    previousRow = nil
                    continue
                }
                let row = g.dotRow(forY: y)
                // Fill the vertical gap to the previous dot so steep segments stay connected.
                let from = min(row, previousRow ?? row), to = max(row, previousRow ?? row)
                for r in from...to { canvas.set(x: dot, y: r, color: color) }
                previousRow = row
            }
        }
        for row in 0..<g.plot.height {
            for column in 0..<g.plot.width {
                guard let glyph = canvas.glyph(column: column, row: row) else { continue }
                frame.put(glyph, x: g.plot.x + column, y: g.plot.y + row,
                          style: Style(foreground: canvas.color(column: column, row: row)))
            }
        }
    }

    private func drawGlyphMarkers(_ g: ChartGeometry, frame: inout Frame, context: RenderContext) {
        for (index, line) in series.enumerated() {
            let style = Style(foreground: context.hasColor ? color(ofSeries: index, context: context) : .default)
            let glyph = markerGlyph(ofSeries: index, context: context)
            for dot in 0..<g.dotWidth {
                guard let y = value(of: line, at: g.x(forDot: dot)), yRange.contains(y) else { continue }
                frame.put(glyph, x: g.plot.x + dot, y: g.plot.y + g.dotRow(forY: y), style: style)
            }
        }
    }

    private func drawLegend(y: Int, area: Rect, frame: inout Frame, context: RenderContext) {
        var x = area.x + yLabelWidth + 1
        let braille = LineChart.usesBraille(context)
        for (index, line) in series.enumerated() {
            let symbol = braille ? context.glyphs.focusedBorder.horizontal : markerGlyph(ofSeries: index, context: context)
            let style = Style(foreground: context.hasColor ? color(ofSeries: index, context: context) : .default)
            x = frame.put(String(symbol), x: x, y: y, style: style, clip: area) + 1
            x = frame.put(line.name, x: x, y: y, style: context.theme.text, clip: area) + 2
        }
    }
}

extension LineChart {
    /// A dot coordinate as an Int, whatever the value: Int(_:) traps on NaN, infinity and
    /// anything beyond Int's range, and a value far off the plot is clipped there anyway.
    static func dot(_ v: Double) -> Int {
        guard v.isFinite else { return v.isNaN ? 0 : (v < 0 ? -1_000_000 : 1_000_000) }
        return Int(max(-1_000_000, min(1_000_000, v)))
    }
}
