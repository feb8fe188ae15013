import AMPSMethod
import AMPSTerminal

/// The current instance: its image in half-blocks, the question, the two options, the
/// context (wrapped, scrolled with ↑/↓ while the pane has the focus), and the answer
/// distribution under the current steering next to the unsteered one.
struct InstancePane {
    static let answersHeight = 5   // the other order's line, the verdict, three bars
    /// Context rows kept visible under the image however tall the image could be.
    static let minimumContextRows = 3

    static func draw(_ s: inout InspectorState, into frame: inout Frame, area: Rect, context: RenderContext) {
        let theme = context.theme
        guard let sel = s.selected else {
            frame.render(Box(title: "2 Instance", isFocused: s.focus == .instance), in: area, context: context)
            frame.line("(no instance selected)", in: Box.contentArea(of: area), row: 0, style: theme.dimText)
            return
        }
        let inst = sel.instance
        let inner = Box.contentArea(of: area)
        // Image: as large as the pane allows with its aspect kept — up to 2/5 of the width
        // (64 columns) and the rows above the answers and a few context lines; half-blocks
        // show 2 pixels a cell.
        let maxW = max(8, min(64, inner.width * 2 / 5)), maxH = inner.height - answersHeight - minimumContextRows
        var imgW = 0, imgH = 0
        if let image = sel.image, maxH >= 4 {
            let widget = HalfBlockImage(image: image)
            let px = widget.scaledPixelSize(in: Rect(x: 0, y: 0, width: maxW, height: maxH))
            imgW = px.width
            imgH = (px.height + 1) / 2
            frame.render(widget, in: Rect(x: inner.x, y: inner.y, width: imgW, height: imgH), context: context)
        }
        let textX = imgW > 0 ? imgW + 1 : 0
        let side = Rect(x: inner.x + textX, y: inner.y, width: max(0, inner.width - textX),
                        height: max(imgH, inner.height - answersHeight - 1))
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
        // Context, wrapped under the image and scrolled by whole lines.
        let ctxTop = max(imgH, row)
        let ctxArea = Rect(x: inner.x, y: inner.y + ctxTop, width: inner.width, height: max(0, inner.height - ctxTop - answersHeight))
        let paragraph = Paragraph("Text context: " + inst.context, style: theme.text)
        let total = paragraph.lineCount(width: max(1, ctxArea.width))
        s.contextScrollLimit = max(0, total - ctxArea.height)
        let offset = min(s.contextScroll, s.contextScrollLimit)
        var footer: String?
        if s.contextScrollLimit > 0 {
            let last = min(total, offset + ctxArea.height)
            footer = "context \(offset + 1)-\(last)/\(total)" + (s.focus == .instance ? " ↑↓" : " · 2 then ↑↓")
        }
        frame.render(Box(title: "2 Instance \(inst.id) · \(inst.task) · \(inst.kind.rawValue)", footer: footer,
                         isFocused: s.focus == .instance), in: area, context: context)
        var scrolled = paragraph
        scrolled.scrollOffset = offset
        frame.render(scrolled, in: ctxArea, context: context)
        // Answers: unsteered | steered.
        let ans = Rect(x: inner.x, y: inner.maxY - answersHeight, width: inner.width, height: answersHeight)
        frame.line(otherOrderLine(s), in: ans, row: 0, style: theme.dimText)
        let halves = Layout.split(ans.inset(top: 1), .horizontal, [.fill, .fill])
        drawAnswer(s.answers?.unsteered, generated: s.answers?.unsteeredGenerated, title: "unsteered", into: &frame, area: halves[0],
                   context: context)
        let steeredTitle: String
        if let a = s.answers, a.steered != nil {
            steeredTitle = "\(s.steering.mode.rawValue) α=" + PaneText.number(a.effectiveAlpha, 2)
        } else {
            steeredTitle = s.steering.mode == .none ? "steering off" : "steered α=" + PaneText.number(s.steering.alpha, 2)
        }
        drawAnswer(s.steering.mode == .none ? nil : s.answers?.steered, generated: s.answers?.steeredGenerated, title: steeredTitle,
                   into: &frame, area: halves[1], context: context, pending: s.steering.mode != .none && s.answers == nil)
    }

    /// The other option order's distributions in one line (answer, then P(vision), P(text),
    /// P(other) in per cent), unsteered → steered, so both orders are on screen.
    static func otherOrderLine(_ s: InspectorState) -> String {
        guard let o = s.answers?.otherOrder else { return "other order: …" }
        func pc(_ p: Double) -> String { p.isFinite ? String(Int((p * 100).rounded())) : "n/a" }
        func show(_ a: AnswerDistribution) -> String {
            PaneText.answerLetter(a.argmaxClass) + " v\(pc(a.pVision)) t\(pc(a.pText)) o\(pc(a.pOther))"
        }
        var line = "\(o.order.rawValue) " + show(o.unsteered)
        if let st = o.steered { line += " → " + show(st) }
        return line
    }

    /// One answer: the verdict line — under `--answer generate` the stated letter, its class
    /// and the generated text — over the bars of P(vision), P(text), P(other).
    static func drawAnswer(_ a: AnswerDistribution?, generated: ScoredAnswer? = nil, title: String, into frame: inout Frame, area: Rect,
                           context: RenderContext, pending: Bool = true) {
        let theme = context.theme
        guard area.height >= 1 else { return }
        var verdict = a.map { " → " + $0.argmaxClass.rawValue } ?? (pending ? " …" : "")
        var cls = a?.argmaxClass
        if let g = generated, let text = g.text {
            verdict = " → \(g.letter ?? "–") \(g.answer.rawValue) “\(PaneText.oneLine(text))”"
            cls = g.answer
        }
        frame.line(title + verdict, in: area, row: 0, style: PaneText.answerStyle(cls, theme, context.colorMode))
        guard let a else { return }
        let bars = [Bar("vision", value: a.pVision, color: theme.seriesColors[0]),
                    Bar("text", value: a.pText, color: theme.seriesColors[1 % theme.seriesColors.count]),
                    Bar("other", value: a.pOther, color: theme.seriesColors[2 % theme.seriesColors.count])]
        frame.render(BarChart(bars: bars, decimals: 0), in: area.inset(top: 1, right: 1), context: context)
    }
}
