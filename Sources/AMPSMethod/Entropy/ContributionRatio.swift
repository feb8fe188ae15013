import Foundation

/// MCR = MCS_vision / (MCS_vision + MCS_text), defined only where the denominator is
/// clearly above zero. Monte Carlo MCS of a modality that does not move the output is
/// noise around 0 (a random checkpoint gives 1e-17), and a ratio of two such values is
/// an arbitrary number in [0, 1]; it must not be printed, fitted or correlated.
public enum ContributionRatio {
    /// Below this summed MCS (nats of functional entropy) the ratio is undefined whatever
    /// the standard errors say: the default model's window sums are 1e-4 to 1e-2.
    public static let absoluteFloor = 1e-10
    /// A modality's MCS counts as non-zero when it exceeds this many standard errors.
    public static let standardErrors = 2.0

    /// The ratio of summed scores, nil when both sums are within `standardErrors` of 0
    /// (their standard errors combined over the summed layers, as independent estimates)
    /// or their total is below `absoluteFloor`.
    public static func ratio(vision: [FunctionalEntropy], text: [FunctionalEntropy]) -> Double? {
        let v = vision.map(\.value).reduce(0, +), t = text.map(\.value).reduce(0, +)
        let seV = vision.map { $0.standardError * $0.standardError }.reduce(0, +).squareRoot()
        let seT = text.map { $0.standardError * $0.standardError }.reduce(0, +).squareRoot()
        return ratio(vision: v, visionSE: seV, text: t, textSE: seT)
    }

    public static func ratio(vision v: Double, visionSE seV: Double, text t: Double, textSE seT: Double) -> Double? {
        guard v.isFinite, t.isFinite, v + t >= absoluteFloor else { return nil }
        let visionClear = v > standardErrors * seV, textClear = t > standardErrors * seT
        guard visionClear || textClear else { return nil }
        return v / (v + t)
    }
}
