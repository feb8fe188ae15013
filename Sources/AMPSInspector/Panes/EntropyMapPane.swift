import AMPSMethod
import AMPSTerminal

/// The MCS map: layers as rows; MCS of vision and of text (each scaled by the map's
/// largest MCS) and MCR as columns; the steering window marked; the selected layer as
/// the cursor. Rows fill in as the engine finishes them.
struct EntropyMapPane {
    static func draw(_ s: InspectorState, into frame: inout Frame, area: Rect, context: RenderContext) {
        let theme = context.theme
        let done = s.mapDone, total = s.layerCount
        let p = s.perturbation
        let title = "3 Functional entropy · N=\(p.samples) σ×\(PaneText.number(p.sigmaScale, 2)) \(p.target.rawValue)"
        frame.render(Box(title: title, footer: done < total ? "\(done)/\(total) layers" : nil, isFocused: s.focus == .map), in: area, context: context)
        var inner = Box.contentArea(of: area)
        if done < total, inner.height > 3 {
            frame.render(ProgressBar(label: "MCS", fraction: Double(done) / Double(max(total, 1)), tick: s.tick),
                         in: inner.row(inner.height - 1), context: context)
            inner = inner.inset(bottom: 1)
        }
        let maxMCS = s.mapRows.compactMap { $0.map { max($0.vision.value, $0.text.value) } }.max() ?? 0
        let values: [[Double?]] = s.mapRows.map { row in
            guard let row else { return [nil, nil, nil] }
            let norm = maxMCS > 0 ? maxMCS : 1
            return [row.vision.value / norm, row.text.value / norm, row.ratio]
        }
        let footerLine = "max MCS " + PaneText.number(maxMCS > 0 ? maxMCS : nil, 4, pending: done == 0)
            + " · window MCR " + PaneText.ratio(ContributionMap(layers: s.mapRows.compactMap { $0 }).ratio(window: s.steering.window), 2,
                                                 pending: s.steering.window.contains { s.mapRows[$0] == nil })
        if inner.height > 2 {
            frame.line(footerLine, in: inner, row: inner.height - 1, style: theme.dimText)
            inner = inner.inset(bottom: 1)
        }
        var map = Heatmap(values: values, rowLabels: (0..<total).map { "L\($0)" }, columnLabels: ["vision", "text", "MCR"],
                          range: 0...1, showsValues: s.showValues, decimals: 2, markedRows: s.steering.window, markLabel: "steer",
                          cursor: Heatmap.Position(row: s.layer, column: 0))
        // Keep the selected layer on screen.
        let rowsVisible = max(1, inner.height - 2)
        if s.layer >= rowsVisible { map.firstVisibleRow = s.layer - rowsVisible + 1 }
        frame.render(map, in: inner, context: context)
    }
}
