import AMPSMethod
import AMPSTerminal

/// The steering controls along the top: mode, alpha (and the factor the mode applied),
/// window, Monte Carlo settings, option order and instruction.
struct SteeringStrip {
    static func draw(_ s: InspectorState, into frame: inout Frame, area: Rect, context: RenderContext) {
        let theme = context.theme
        frame.render(Box(title: "6 Steering", isFocused: s.focus == .steering), in: area, context: context)
        let inner = Box.contentArea(of: area)
        let st = s.steering
        var parts: [String] = []
        parts.append("mode \(st.mode.rawValue)")
        // A negative alpha steers toward the text (the negated vectors; the rule's text share).
        parts.append("α " + PaneText.number(st.alpha, 2) + (st.alpha < 0 ? " (toward text)" : ""))
        if let a = s.answers, st.mode == .amps || st.mode == .learned {
            parts.append("×" + PaneText.number(a.factor, 2) + " = " + PaneText.number(a.effectiveAlpha, 2))
        }
        parts.append("window L\(st.window.lowerBound)-\(st.window.upperBound)")
        parts.append("N \(s.perturbation.samples)")
        parts.append("σ×" + PaneText.number(s.perturbation.sigmaScale, 2))
        parts.append(s.order == .visionFirst ? "A=image" : "A=text")
        parts.append("instr \(s.instruction.rawValue)")
        if !s.hasVectors { parts.append("(no vectors)") }
        else if !s.hasScaling || !s.hasScaler { parts.append("(fit missing: amps fit)") }
        frame.line(parts.joined(separator: "  "), in: inner, row: 0, style: theme.text)
    }
}

/// The status line: model, instance, mode and alpha, what the engine is doing, key hints.
struct InspectorStatus {
    static func draw(_ s: InspectorState, into frame: inout Frame, area: Rect, context: RenderContext) {
        var left: [StatusItem] = [.text(" \(s.modelName) ")]
        if let e = s.engineLabel { left.append(.text("on \(e)", style: context.theme.dimText)) }
        left.append(.text(s.selected.map { "#\($0.instance.id)" } ?? "-"))
        left.append(.text("\(s.steering.mode.rawValue) α " + PaneText.number(s.steering.alpha, 2)))
        if let f = s.failure { left.append(.text("error: " + f, style: context.theme.error)) }
        else if let m = s.message { left.append(.text(m, style: context.theme.accent)) }
        else if let b = s.busy { left.append(.text(String(Spinner(tick: s.tick).glyph(context.glyphs)) + " " + b)) }
        else { left.append(.text("idle")) }
        frame.render(StatusLine(left: left, right: [.keyHint("?", "help"), .keyHint("q", "quit")]), in: area, context: context)
    }
}
