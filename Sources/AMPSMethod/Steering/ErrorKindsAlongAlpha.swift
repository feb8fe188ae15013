import Foundation

/// Where along the alpha grid one instance's answers are generation errors (docs/METHOD.md,
/// "Generation errors"), from its two option orders' sensitivity curves: the inspector's
/// sensitivity pane lists them against alpha.
public struct ErrorKindsAlongAlpha: Sendable, Equatable {
    /// The grid's alphas at which the item has an "other" answer in some order, its two
    /// orders give the same letter (conflict), or it is answered wrongly (non-conflict).
    public var other: [Double] = []
    public var letterCollapse: [Double] = []
    public var nonConflictWrong: [Double] = []

    public init() {}

    /// `curve` in `order`, `otherCurve` in the other order over the same grid (nil: only
    /// the one order is known, so only its own errors are counted).
    public init(curve: SensitivityCurve, order: OptionOrder, otherCurve: SensitivityCurve?, isConflict: Bool) {
        let both = otherCurve.map { $0.alphas == curve.alphas } ?? false
        for (k, a) in curve.alphas.enumerated() {
            var item = ItemAnswers(isConflict: isConflict)
            item.answers[order] = curve.answers[k].argmaxClass
            if both, let o = otherCurve { item.answers[order == .visionFirst ? .textFirst : .visionFirst] = o.answers[k].argmaxClass }
            if item.hasOther { other.append(a) }
            if item.letterCollapse == true { letterCollapse.append(a) }
            if item.nonConflictError { nonConflictWrong.append(a) }
        }
    }

    /// Runs of consecutive grid points as `a–b` (one point: `a`), for `alphas` taken from `grid`.
    public static func ranges(_ alphas: [Double], grid: [Double], format: (Double) -> String) -> String {
        guard !alphas.isEmpty else { return "none" }
        let wanted = Set(alphas)
        var runs: [(Double, Double)] = []
        var start: Double?, last: Double?
        for a in grid {
            if wanted.contains(a) {
                if start == nil { start = a }
                last = a
            } else if let s = start, let l = last {
                runs.append((s, l)); start = nil; last = nil
            }
        }
        if let s = start, let l = last { runs.append((s, l)) }
        return runs.map { $0.0 == $0.1 ? format($0.0) : format($0.0) + "–" + format($0.1) }.joined(separator: ", ")
    }
}
