import AMPSMethod
import AMPSTerminal

/// The current instance: its image in half-blocks, the question, the two options, the
/// context, and the answer distribution under the current steering next to the
/// unsteered one.
struct InstancePane {
    static func draw(_ s: InspectorState, into frame: inout Frame, area: Rect, context: RenderContext) {
        let theme = context.theme
        guard let sel = s.selected else {
            frame.render(Box(title: "2 Instance", isFocused: s.focus == .instance), in: area, context: context)
            frame.line("(no instance selected)", in: Box.contentArea(of: area), row: 0, style: theme.dimText)
            return
        }
        let inst = sel.instance
        frame.render(Box(title: "2 Instance \(inst.id) · \(inst.task) · \(inst.kind.rawValue)", isFocused: s.focus == .instance),
                     in: area, context: context)
        let inner = Box.contentArea(of: area)
        // Image: at most 32 columns, a third of the width, half-blocks (2 pixels a cell).
        let imgW = max(8, min(32, inner.width / 3))
        let imgH = min(inner.height - 6, (imgW + 1) / 2)
        var textX = 0
        if let image = sel.image, imgH >= 4 {
            frame.render(HalfBlockImage(image: image), in: Rect(x: inner.x, y: inner.y, width: imgW, height: imgH), context: context)
            textX = imgW + 1
        }
        let side = Rect(x: inner.x + textX, y: inner.y, width: max(0, inner.width - textX), height: imgH)
        let (a, b) = s.order == .visionFirst ? (inst.options.vision, inst.options.other) : (inst.options.other, inst.options.vision)
        let (aTag, bTag) = s.order == .visionFirst ? ("image", inst.isConflict ? "text" : "wrong") : (inst.isConflict ? "text" : "wrong", "image")
        var lines: [(String, Style)] = [
            ("Q: " + inst.question, theme.text),
            ("A. \(a)  (\(aTag))", theme.text),
            ("B. \(b)  (\(bTag))", theme.text),
            ("order \(s.order.rawValue) · instruction \(s.instruction.rawValue)", theme.dimText),
        ]
        for key in ["image_reliability", "text_reliability"] {
            if let v = inst.tags[key] { lines.append(("\(key.replacingOccurrences(of: "_", with: " ")): \(v)", theme.dimText)) }
        }
        var row = 0
        for (text, style) in lines {
            for w in TextWrapping.wrap(text, width: max(1, side.width)) { row = frame.line(w, in: side, row: row, style: style) }
        }
        // Context, wrapped under the image.
        let ctxTop = max(imgH, row) + 0
        let answersHeight = 5
        let ctxArea = Rect(x: inner.x, y: inner.y + ctxTop, width: inner.width, height: max(0, inner.height - ctxTop - answersHeight))
        frame.render(Paragraph("Text context: " + inst.context, style: theme.text), in: ctxArea, context: context)
        // Answers: unsteered | steered.
        let ans = Rect(x: inner.x, y: inner.maxY - answersHeight, width: inner.width, height: answersHeight)
        frame.line(otherOrderLine(s), in: ans, row: 0, style: theme.dimText)
        let halves = Layout.split(ans.inset(top: 1), .horizontal, [.fill, .fill])
        drawAnswer(s.answers?.unsteered, title: "unsteered", into: &frame, area: halves[0], context: context)
        let steeredTitle: String
        if let a = s.answers, a.steered != nil {
            steeredTitle = "\(s.steering.mode.rawValue) α=" + PaneText.number(a.effectiveAlpha, 2)
        } else {
            steeredTitle = s.steering.mode == .none ? "steering off" : "steered α=" + PaneText.number(s.steering.alpha, 2)
        }
        drawAnswer(s.steering.mode == .none ? nil : s.answers?.steered, title: steeredTitle, into: &frame, area: halves[1],
                   context: context, pending: s.steering.mode != .none && s.answers == nil)
    }

    /// The other option order's answers in one line, so both orders are on screen.
    static func otherOrderLine(_ s: InspectorState) -> String {
        guard let o = s.answers?.otherOrder else { return "other order: …" }
        func show(_ a: AnswerDistribution) -> String { a.argmaxClass.rawValue + " V " + PaneText.number(a.pVision, 2) }
        var line = "\(o.order.rawValue): " + show(o.unsteered)
        if let st = o.steered { line += " → steered " + show(st) }
        return line
    }

    static func drawAnswer(_ a: AnswerDistribution?, title: String, into frame: inout Frame, area: Rect, context: RenderContext,
                           pending: Bool = true) {
        let theme = context.theme
        guard area.height >= 1 else { return }
        let verdict = a.map { " → " + $0.argmaxClass.rawValue } ?? (pending ? " …" : "")
        frame.line(title + verdict, in: area, row: 0, style: PaneText.answerStyle(a?.argmaxClass, theme, context.colorMode))
        guard let a else { return }
        let bars = [Bar("vision", value: a.pVision, color: theme.seriesColors[0]),
                    Bar("text", value: a.pText, color: theme.seriesColors[1 % theme.seriesColors.count]),
                    Bar("other", value: a.pOther, color: theme.seriesColors[2 % theme.seriesColors.count])]
        frame.render(BarChart(bars: bars, decimals: 0), in: area.inset(top: 1, right: 1), context: context)
    }
}
