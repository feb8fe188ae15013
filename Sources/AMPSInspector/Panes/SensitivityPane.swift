import AMPSMethod
import AMPSTerminal

/// P(vision), P(text), P(other) against alpha for the instance (uniform steering on the
/// window), with the current alpha, alpha_flip and alpha_collapse marked, and where along
/// alpha the instance's answers are generation errors (other, letter collapse, wrong).
struct SensitivityPane {
    static func draw(_ s: InspectorState, into frame: inout Frame, area: Rect, context: RenderContext) {
        let theme = context.theme
        let w = s.steering.window
        frame.render(Box(title: "4 Sensitivity · uniform on L\(w.lowerBound)-\(w.upperBound)", isFocused: s.focus == .sensitivity),
                     in: area, context: context)
        var inner = Box.contentArea(of: area)
        guard s.hasVectors else {
            frame.line("no steering vectors: run `amps vectors`", in: inner, row: 0, style: theme.dimText)
            return
        }
        guard let c = s.curve else {
            frame.render(ProgressBar(label: "computing the response curve", fraction: nil, tick: s.tick), in: inner.row(0), context: context)
            return
        }
        // The letter collapse needs both orders' curves (a conflict instance only).
        let letter = s.selected?.instance.isConflict == true
            ? "   α_letter " + PaneText.number(s.otherOrderCurve.flatMap { c.letterCollapseAlpha(order: s.order, other: $0) }, 2,
                                               pending: s.otherOrderCurve == nil)
            : ""
        // Bisected once the engine has them (to 0.01); the grid's values, marked ~, before.
        let flip = s.thresholds.map(\.flip) ?? c.alphaFlip, collapse = s.thresholds.map(\.collapse) ?? c.alphaCollapse
        let approx = s.thresholds == nil ? "~" : ""
        let summary = "α_flip " + approx + PaneText.number(flip, 2) + "   α_collapse " + approx + PaneText.number(collapse, 2) + letter
            + "   α now " + PaneText.number(s.answers?.effectiveAlpha ?? s.steering.alpha, 2)
        if inner.height > 3 {
            frame.line(summary, in: inner, row: inner.height - 1, style: theme.dimText)
            inner = inner.inset(bottom: 1)
        }
        // The generation errors along the grid, as the evaluation table counts them.
        if inner.height > 4, let inst = s.selected?.instance {
            let kinds = ErrorKindsAlongAlpha(curve: c, order: s.order, otherCurve: s.otherOrderCurve, isConflict: inst.isConflict)
            func at(_ xs: [Double]) -> String { ErrorKindsAlongAlpha.ranges(xs, grid: c.alphas) { PaneText.number($0, 2) } }
            var line = "errors by α · other " + at(kinds.other)
            if inst.isConflict { line += " · letter " + (s.otherOrderCurve == nil ? "…" : at(kinds.letterCollapse)) }
            else { line += " · wrong " + at(kinds.nonConflictWrong) }
            frame.line(line, in: inner, row: inner.height - 1, style: theme.dimText)
            inner = inner.inset(bottom: 1)
        }
        let colors = theme.seriesColors
        var markers: [ChartMarker] = []
        let now = s.answers?.effectiveAlpha ?? s.steering.alpha
        if let lo = c.alphas.first, let hi = c.alphas.last, now >= lo, now <= hi { markers.append(ChartMarker(x: now, label: "α")) }
        if let f = flip { markers.append(ChartMarker(x: f, label: "flip", color: colors[0])) }
        if let k = collapse { markers.append(ChartMarker(x: k, label: "collapse", color: colors[2 % colors.count])) }
        if s.selected?.instance.isConflict == true, let o = s.otherOrderCurve, let k = c.letterCollapseAlpha(order: s.order, other: o) {
            markers.append(ChartMarker(x: k, label: "letter", color: colors[1 % colors.count]))
        }
        let chart = LineChart(xs: c.alphas, series: [
            ChartSeries(name: "P(vision)", values: c.answers.map(\.pVision), color: colors[0]),
            ChartSeries(name: "P(text)", values: c.answers.map(\.pText), color: colors[1 % colors.count]),
            ChartSeries(name: "P(other)", values: c.answers.map(\.pOther), color: colors[2 % colors.count]),
        ], xDecimals: 1, markers: markers)
        frame.render(chart, in: inner, context: context)
    }
}
