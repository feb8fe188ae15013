import AMPSCore
import AMPSModel
import Foundation

/// α_flip and α_collapse to a stated precision rather than read off the grid: the grid's
/// first α where the answer becomes the target class brackets the threshold with the α
/// before it; the bracket is then cut into `points + 1` parts, all evaluated in one batched
/// pass, and narrowed to the first part whose upper end has the target class, until it is
/// no wider than `precision`. The result is that part's upper end (the first α, to within
/// `precision`, at which the answer is the target; with a non-monotone response inside a
/// grid step it is one crossing in the bracket, not necessarily the first).
public enum SensitivityThreshold {
    public static let defaultPrecision = 0.01

    public static func refine(model: any ModelEngine, pass: EnginePass, probe: Probe, vectors: SteeringVectorSet, window: ClosedRange<Int>,
                              curve: SensitivityCurve, target: AnswerClass, precision: Double = defaultPrecision,
                              lastTokenOnly: Bool = false, points: Int = 8) throws -> Double? {
        guard precision.isFinite, precision > 0 else { throw AMPSError.invalidInput("the sensitivity precision must be a positive number (got \(precision))") }
        let sorted = zip(curve.alphas, curve.answers).filter { $0.0 >= 0 }.sorted { $0.0 < $1.0 }
        guard let k = sorted.firstIndex(where: { $0.1.argmaxClass == target }) else { return nil }
        guard k > 0 else { return sorted[k].0 }
        var lo = sorted[k - 1].0, hi = sorted[k].0
        while hi - lo > precision {
            let alphas = (1...points).map { lo + (hi - lo) * Double($0) / Double(points + 1) }
            let st = vectors.steering(window: window, scales: alphas.map(Float.init), lastTokenOnly: lastTokenOnly, promptLength: pass.length)
            let logits = try model.logitsWithSteering(pass, steering: st, batch: alphas.count)
            guard logits.allFinite else { throw AMPSError.numerical("instance \(probe.instance.id): steered logits contain NaN or infinity") }
            let classes = alphas.indices.map { probe.answerClass(logits, row: $0) }
            if let j = classes.firstIndex(of: target) {
                hi = alphas[j]
                lo = j > 0 ? alphas[j - 1] : lo
            } else {
                lo = alphas.last!
            }
        }
        return hi
    }
}
