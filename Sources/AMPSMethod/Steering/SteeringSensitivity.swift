import AMPSCore
import AMPSModel
import Foundation

/// How one probe's answer responds to steering: P(vision), P(text), P(other) over an
/// alpha grid, computed as one batched pass resumed from the unsteered prompt pass.
public struct SensitivityCurve: Sendable, Equatable {
    public let alphas: [Double]
    public let answers: [AnswerDistribution]

    public init(alphas: [Double], answers: [AnswerDistribution]) { self.alphas = alphas; self.answers = answers }

    /// Smallest alpha of the grid (>= 0) at which the argmax answer is the vision answer.
    public var alphaFlip: Double? {
        zip(alphas, answers).first { $0.0 >= 0 && $0.1.argmaxClass == .vision }?.0
    }

    /// Smallest alpha of the grid (>= 0) at which the answer is neither option.
    public var alphaCollapse: Double? {
        zip(alphas, answers).first { $0.0 >= 0 && $0.1.argmaxClass == .other }?.0
    }

    /// The smallest alpha of the grid (>= 0) at which a conflict instance's two option orders,
    /// `self` in `order` and `other` in the other order (the same grid), answer with the same
    /// letter (GenerationErrors' letter collapse).
    public func letterCollapseAlpha(order: OptionOrder, other: SensitivityCurve) -> Double? {
        guard alphas == other.alphas else { return nil }
        for (k, a) in alphas.enumerated() where a >= 0 {
            var item = ItemAnswers(isConflict: true)
            item.answers[order] = answers[k].argmaxClass
            item.answers[order == .visionFirst ? .textFirst : .visionFirst] = other.answers[k].argmaxClass
            if item.letterCollapse == true { return a }
        }
        return nil
    }

    /// P(vision)(alpha) - P(vision)(0): the response at one alpha of the grid.
    public func response(at alpha: Double) -> Double? {
        guard let i = alphas.firstIndex(where: { abs($0 - alpha) < 1e-9 }),
              let z = alphas.firstIndex(where: { abs($0) < 1e-9 }) else { return nil }
        return answers[i].pVision - answers[z].pVision
    }

    public static func compute(model: any ModelEngine, pass: EnginePass, probe: Probe, vectors: SteeringVectorSet,
                               window: ClosedRange<Int>, alphas: [Double], lastTokenOnly: Bool = false) throws -> SensitivityCurve {
        guard !alphas.isEmpty, alphas.allSatisfy(\.isFinite) else { throw AMPSError.invalidInput("the alpha grid must be non-empty and finite") }
        try RequestLimits.checkGrid(alphas, "the alpha grid")
        try checkMemory(model: model, pass: pass, window: window, points: alphas.count)
        let steering = vectors.steering(window: window, scales: alphas.map(Float.init), lastTokenOnly: lastTokenOnly, promptLength: pass.length)
        let logits = try model.logitsWithSteering(pass, steering: steering, batch: alphas.count)
        guard logits.allFinite else { throw AMPSError.numerical("instance \(probe.instance.id): steered logits contain NaN or infinity") }
        return SensitivityCurve(alphas: alphas, answers: alphas.indices.map { probe.answer(logits, row: $0) })
    }

    /// The default grid: 0 to `max` in `steps` equal steps.
    public static func grid(max: Double, steps: Int) -> [Double] {
        (0...steps).map { max * Double($0) / Double(steps) }
    }
}

/// Pearson and Spearman correlation of paired values (nil when undefined).
public struct Correlation: Sendable, Equatable {
    public let pearson: Double?
    public let spearman: Double?
    public let count: Int

    public init(_ x: [Double], _ y: [Double]) {
        count = x.count
        pearson = Correlation.pearson(x, y)
        spearman = Correlation.pearson(Correlation.ranks(x), Correlation.ranks(y))
    }

    static func pearson(_ x: [Double], _ y: [Double]) -> Double? {
        guard x.count == y.count, x.count >= 3 else { return nil }
        let n = Double(x.count), mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for (a, b) in zip(x, y) { sxy += (a - mx) * (b - my); sxx += (a - mx) * (a - mx); syy += (b - my) * (b - my) }
        guard sxx > 0, syy > 0 else { return nil }
        return sxy / (sxx * syy).squareRoot()
    }

    static func ranks(_ x: [Double]) -> [Double] {
        let order = x.indices.sorted { x[$0] < x[$1] }
        var r = [Double](repeating: 0, count: x.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && x[order[j + 1]] == x[order[i]] { j += 1 }
            let avg = Double(i + j) / 2 + 1
            for k in i...j { r[order[k]] = avg }
            i = j + 1
        }
        return r
    }
}
