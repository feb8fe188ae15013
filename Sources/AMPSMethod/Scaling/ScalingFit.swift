import AMPSCore
import AMPSModel
import Foundation

/// Fitting beta and r_anchor of the AMPS rule on a calibration split, and the learned
/// scaler's training data. The objective trades the vision-ratio shift against collapse:
///   J(beta) = shift(beta) - lambda * collapse(beta)
public struct ScalingFit: Sendable {
    public struct Row: Sendable, Codable {
        public var beta: Double
        public var visionRatio: Double?
        public var shift: Double?
        public var collapseRate: Double?
        public var objective: Double?
    }

    public var anchor: Double
    public var best: Row
    public var rows: [Row]
    public var baselineVisionRatio: Double?
    public var uniform: Row { rows.first { $0.beta == 0 }! }
    public var probes: Int
    /// Per-probe (hidden state at the scaler layer, MCR) — the learned scaler's inputs.
    public var features: [[Float]]
    public var ratios: [Double]

    public static let defaultBetas: [Double] = [-4, -3, -2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2, 3, 4]

    public static func fit(model: LlavaModel, template: PromptTemplate, instances: [Instance], vectors: SteeringVectorSet,
                           alpha: Double, window: ClosedRange<Int>, settings: PerturbationSettings,
                           betas: [Double] = defaultBetas, lambda: Double = 1, scalerLayer: Int,
                           lastTokenOnly: Bool = false, progress: (Int, Int) -> Void = { _, _ in }) throws -> ScalingFit {
        try settings.validate()
        guard alpha.isFinite, lambda.isFinite, betas.allSatisfy(\.isFinite), betas.contains(0) else {
            throw AMPSError.invalidInput("alpha, lambda and betas must be finite, and betas must include 0 (uniform)")
        }
        let conflicts = instances.filter(\.isConflict)
        guard conflicts.count >= 3 else { throw AMPSError.invalidInput("fitting needs at least 3 conflict instances (got \(conflicts.count))") }
        // First sweep: passes and MCR of every probe.
        var items: [(Probe, PromptPass, Double)] = []
        var features: [[Float]] = []
        let total = conflicts.count * OptionOrder.allCases.count
        for inst in conflicts {
            for o in OptionOrder.allCases {
                let probe = try Probe(model: model, template: template, instance: inst, order: o, instruction: .none)
                let pass = model.run(probe.input)
                let r = try AdaptiveSteering.windowRatio(model: model, pass: pass, probe: probe, window: window, settings: settings).ratio
                guard let r else { continue }
                items.append((probe, pass, r))
                let h = pass.layerInputs[scalerLayer + 1].data + (pass.length - 1) * model.hiddenSize
                features.append(Array(UnsafeBufferPointer(start: h, count: model.hiddenSize)))
                progress(items.count, total)
            }
        }
        guard items.count >= 3 else { throw AMPSError.numerical("MCR is undefined for almost every calibration probe; raise sigma or N") }
        let anchor = items.map(\.2).reduce(0, +) / Double(items.count)
        var tallies = [AnswerTally](repeating: AnswerTally(), count: betas.count)
        var base = AnswerTally()
        for (probe, pass, r) in items {
            let scales = [Float(0)] + betas.map { Float(alpha * AMPSScaling(beta: $0, anchor: anchor).factor(mcr: r)) }
            let st = vectors.steering(window: window, scales: scales, lastTokenOnly: lastTokenOnly, promptLength: pass.length)
            let logits = model.logitsWithSteering(pass, steering: st, batch: scales.count)
            guard logits.allFinite else { throw AMPSError.numerical("instance \(probe.instance.id): steered logits contain NaN or infinity") }
            base.add(probe.answer(logits, row: 0).argmaxClass)
            for i in betas.indices { tallies[i].add(probe.answer(logits, row: i + 1).argmaxClass) }
        }
        let b0 = base.visionRatio
        let rows = zip(betas, tallies).map { beta, t -> Row in
            let shift = zip2(t.visionRatio, b0).map { $0 - $1 }
            return Row(beta: beta, visionRatio: t.visionRatio, shift: shift, collapseRate: t.collapseRate,
                       objective: zip2(shift, t.collapseRate).map { $0 - lambda * $1 })
        }
        // Highest objective; on a tie the smallest |beta| (uniform steering unless adapting helps).
        let best = rows.max { a, b in
            let ja = a.objective ?? -.infinity, jb = b.objective ?? -.infinity
            return ja != jb ? ja < jb : abs(a.beta) > abs(b.beta)
        }!
        return ScalingFit(anchor: anchor, best: best, rows: rows, baselineVisionRatio: b0, probes: items.count,
                          features: features, ratios: items.map(\.2))
    }

    public var scaling: AMPSScaling { AMPSScaling(beta: best.beta, anchor: anchor) }

    public func save(path: String, alpha: Double, window: ClosedRange<Int>, lambda: Double, samples: Int) throws {
        let obj: [String: Any] = [
            "kind": "amps-scaling", "beta": best.beta, "anchor": anchor, "alpha": alpha, "lambda": lambda,
            "window": [window.lowerBound, window.upperBound], "samples": samples, "probes": probes,
            "rule": "factor = max(0, 1 + beta * (MCR - anchor)); steering = alpha * factor * u_l",
            "fit": rows.map { r -> [String: Any] in
                ["beta": r.beta, "vision_ratio": r.visionRatio ?? NSNull(), "shift": r.shift ?? NSNull(),
                 "collapse_rate": r.collapseRate ?? NSNull(), "objective": r.objective ?? NSNull()]
            },
        ]
        let data = try JSONSerialization.data(withJSONObject: obj, options: [.prettyPrinted, .sortedKeys])
        guard FileManager.default.createFile(atPath: path, contents: data) else { throw AMPSError.file(path, "cannot be written") }
    }

    /// Reads the rule saved by `save`; with `layers`, its window must lie in a model of
    /// that many layers. Every number is checked before it is converted or used.
    public static func loadRule(path: String, layers: Int? = nil) throws -> (AMPSScaling, alpha: Double, window: ClosedRange<Int>) {
        let j = try JSONObject.load(path)
        guard try j.string("kind", default: "") == "amps-scaling" else { throw AMPSError.file(path, "is not an amps scaling file") }
        let w = try j.doubles("window")
        // Whole numbers in 0..<1e6 before Int(): Int(1e30) traps.
        guard w.count == 2, w.allSatisfy({ $0.isFinite && $0 >= 0 && $0 < 1e6 && $0 == $0.rounded() }), w[0] <= w[1] else {
            throw AMPSError.file(path, "'window' must be [first, last], two layer numbers with first <= last (got \(w.prefix(3).map(RequestLimits.compact)))")
        }
        let window = Int(w[0])...Int(w[1])
        if let layers, window.upperBound >= layers {
            throw AMPSError.file(path, "'window' \(window.lowerBound)-\(window.upperBound) is outside the model's layers 0-\(layers - 1) (a rule fitted for another model?)")
        }
        let beta = try j.double("beta"), anchor = try j.double("anchor")
        guard beta.isFinite, anchor.isFinite, abs(beta) <= 1e6, (0...1).contains(anchor) else {
            throw AMPSError.file(path, "'beta' must be a finite number within ±1e6 and 'anchor' an MCR in [0, 1] (got beta \(RequestLimits.compact(beta)), anchor \(RequestLimits.compact(anchor)))")
        }
        let alpha = try j.double("alpha")
        do { try RequestLimits.checkAlpha(alpha, "'alpha'") } catch let e as AMPSError { throw AMPSError.file(path, e.description) }
        return (AMPSScaling(beta: beta, anchor: anchor), alpha, window)
    }
}

func zip2(_ a: Double?, _ b: Double?) -> (Double, Double)? {
    guard let a, let b else { return nil }
    return (a, b)
}
