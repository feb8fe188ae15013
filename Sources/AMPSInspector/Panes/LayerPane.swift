import AMPSMethod
import AMPSTerminal

/// One layer at a time: the logit lens at the last prompt token (under the current
/// steering), the residual norm, the steering vector's norm and its cosine with the residual.
struct LayerPane {
    static func draw(_ s: InspectorState, into frame: inout Frame, area: Rect, context: RenderContext) {
        let theme = context.theme
        let inWindow = s.steering.window.contains(s.layer)
        frame.render(Box(title: "5 Layer \(s.layer)/\(s.layerCount - 1)" + (inWindow ? " · steered" : ""), footer: "[ ] step",
                         isFocused: s.focus == .layer), in: area, context: context)
        let inner = Box.contentArea(of: area)
        guard let d = s.layerDetail, d.layer == s.layer else {
            frame.render(ProgressBar(label: "logit lens", fraction: nil, tick: s.tick), in: inner.row(0), context: context)
            return
        }
        var row = 0
        row = frame.line("logit lens at the answer position → \(d.lens.argmaxClass.rawValue)", in: inner, row: row,
                         style: PaneText.answerStyle(d.lens.argmaxClass, theme, context.colorMode))
        let bars = [Bar("vision", value: d.lens.pVision, color: theme.seriesColors[0]),
                    Bar("text", value: d.lens.pText, color: theme.seriesColors[1 % theme.seriesColors.count]),
                    Bar("other", value: d.lens.pOther, color: theme.seriesColors[2 % theme.seriesColors.count])]
        frame.render(BarChart(bars: bars, decimals: 0), in: Rect(x: inner.x, y: inner.y + row, width: inner.width, height: 3), context: context)
        row += 3
        row = frame.line("|h| " + PaneText.number(d.residualNorm, 2) + "   |u| " + PaneText.number(d.vectorNorm, 2)
                         + "   cos(u,h) " + PaneText.number(d.cosine, 3), in: inner, row: row, style: theme.text)
        row = frame.line("top tokens:", in: inner, row: row, style: theme.dimText)
        for (tok, p) in d.topTokens {
            row = frame.line("  " + String(tok.prefix(max(1, inner.width - 10))).padding(toLength: max(1, inner.width - 10), withPad: " ", startingAt: 0)
                             + PaneText.number(p, 3), in: inner, row: row, style: theme.text)
        }
    }
}
