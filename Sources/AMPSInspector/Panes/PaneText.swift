import AMPSMethod
import AMPSTerminal
import Foundation

/// Number formatting shared by the panes: undefined values print as "…" (pending) or
/// "n/a", never as NaN.
enum PaneText {
    static func number(_ v: Double?, _ decimals: Int = 3, pending: Bool = false) -> String {
        guard let v else { return pending ? "…" : "n/a" }
        guard v.isFinite else { return "n/a" }
        // Fixed-point would print 1e60 with 61 digits: large values go exponential ("1e+60").
        guard abs(v) < 1e5 else { return String(format: "%.3g", v) }
        return String(format: "%.\(decimals)f", v)
    }

    static func percent(_ v: Double?) -> String {
        guard let v, v.isFinite else { return "  - " }
        return String(format: "%3.0f%%", v * 100)
    }

    /// The answers in the vision-first then the text-first order (`VV`, `VT`, `TT`, `OO`...);
    /// the current order's alone while the other is not known.
    static func bothOrders(_ st: ListStats?) -> String {
        guard let st else { return "·" }
        guard let v = st.visionFirst, let t = st.textFirst else { return answerLetter(st.answer) }
        return answerLetter(v) + answerLetter(t)
    }

    /// An MCR: "—" where it is undefined (neither modality's MCS clearly above zero).
    static func ratio(_ v: Double?, _ decimals: Int = 2, pending: Bool = false) -> String {
        if v == nil && pending { return "…" }
        guard let v, v.isFinite else { return "—" }
        return number(v, decimals)
    }

    static func answerLetter(_ c: AnswerClass?) -> String {
        switch c {
        case .vision?: return "V"
        case .text?: return "T"
        case .other?: return "O"
        case nil: return "·"
        }
    }

    static func answerStyle(_ c: AnswerClass?, _ theme: Theme, _ mode: ColorMode) -> Style {
        guard mode != .none else { return theme.text }
        switch c {
        case .vision?: return Style.fg(theme.seriesColors[0])
        case .text?: return Style.fg(theme.seriesColors[1 % theme.seriesColors.count])
        case .other?: return theme.warning
        case nil: return theme.dimText
        }
    }
}

extension Frame {
    /// Writes `text` clipped to `area`'s row `dy`; returns the next row.
    @discardableResult
    mutating func line(_ text: String, in area: Rect, row dy: Int, style: Style = .plain, x dx: Int = 0) -> Int {
        guard dy >= 0, dy < area.height else { return dy + 1 }
        _ = put(text, x: area.x + dx, y: area.y + dy, style: style, clip: area)
        return dy + 1
    }
}
