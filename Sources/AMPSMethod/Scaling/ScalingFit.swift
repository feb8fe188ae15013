import AMPSCore
import AMPSModel
import Foundation

/// Fitting beta and r_anchor of the AMPS rule (and, if asked, alpha) on a calibration
/// split, and the learned scaler's training data. The objective trades the vision-ratio
/// shift against the generation errors (GenerationErrors, counted per item over both
/// option orders):
///   J(alpha, beta) = shift(alpha, beta) - lambda * error_rate(alpha, beta)
public struct ScalingFit: Sendable {
    public struct Row: Sendable, Codable {
        public var alpha: Double
        public var beta: Double
        public var visionRatio: Double?
        public var shift: Double?
        public var otherRate: Double?
        public var letterCollapseRate: Double?
        public var errorRate: Double?
        public var objective: Double?

        /// J = shift - lambda * error rate; nil where either is undefined.
        public static func objective(shift: Double?, errorRate: Double?, lambda: Double) -> Double? {
            guard let shift, let errorRate else { return nil }
            return shift - lambda * errorRate
        }
    }

    public var anchor: Double
    public var best: Row
    public var rows: [Row]
    public var baselineVisionRatio: Double?
    /// The generation errors without steering (alpha 0), for comparison with every row.
    public var baselineErrors = GenerationErrors()
    public var uniform: Row { rows.first { $0.beta == 0 && $0.alpha == best.alpha }! }
    public var probes: Int
    /// Conflict items left out because MCR is undefined in one of their orders.
    public var undefinedItems: Int
    /// Per-probe (hidden state at the scaler layer, MCR) — the learned scaler's inputs.
    public var features: [[Float]]
    public var ratios: [Double]
    /// MCR of every probe left in the fit, by instance id and order.
    public var ratioByProbe: [String: [OptionOrder: Double]] = [:]

    public static let defaultBetas: [Double] = [-4, -3, -2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2, 3, 4]
    /// The objective's error weight when none is given.
    public static let defaultLambda = 1.0

    /// The row of highest J; on a tie the smallest |beta| (uniform steering unless adapting
    /// helps), then the smallest alpha.
    public static func best(_ rows: [Row]) -> Row? {
        rows.max { a, b in
            let ja = a.objective ?? -.infinity, jb = b.objective ?? -.infinity
            if ja != jb { return ja < jb }
            if abs(a.beta) != abs(b.beta) { return abs(a.beta) > abs(b.beta) }
            return a.alpha > b.alpha
        }
    }

    public static func fit(model: any ModelEngine, template: PromptTemplate, instances: [Instance], vectors: SteeringVectorSet,
                           alphas: [Double], window: ClosedRange<Int>, settings: PerturbationSettings,
                           betas: [Double] = defaultBetas, lambda: Double = defaultLambda, scalerLayer: Int,
                           lastTokenOnly: Bool = false, progress: (Int, Int) -> Void = { _, _ in }) throws -> ScalingFit {
        try settings.validate()
        guard !alphas.isEmpty, alphas.allSatisfy(\.isFinite), lambda.isFinite, betas.allSatisfy(\.isFinite), betas.contains(0) else {
            throw AMPSError.invalidInput("alpha, lambda and betas must be finite, and betas must include 0 (uniform)")
        }
        let conflicts = instances.filter(\.isConflict)
        guard conflicts.count >= 3 else { throw AMPSError.invalidInput("fitting needs at least 3 conflict instances (got \(conflicts.count))") }
        // First sweep: passes and MCR of every probe; an item whose MCR is undefined in
        // either order is left out of the fit (its ratio means nothing).
        var items: [[(Probe, EnginePass, Double)]] = []
        var features: [[Float]] = []
        var undefined = 0
        let total = conflicts.count * OptionOrder.allCases.count
        var seen = 0
        for inst in conflicts {
            var item: [(Probe, EnginePass, Double)] = []
            for o in OptionOrder.allCases {
                let probe = try Probe(model: model, template: template, instance: inst, order: o, instruction: .none)
                let pass = try model.run(probe.input, steering: nil)
                let r = try AdaptiveSteering.windowRatio(model: model, pass: pass, probe: probe, window: window, settings: settings).ratio
                seen += 1
                progress(seen, total)
                if let r { item.append((probe, pass, r)) }
            }
            guard item.count == OptionOrder.allCases.count else { undefined += 1; continue }
            for (_, pass, _) in item {
                features.append(try SteeringNetwork.input(model: model, pass: pass, layer: scalerLayer))
            }
            items.append(item)
        }
        guard items.count >= 3 else {
            throw AMPSError.numerical("MCR is undefined (neither modality's MCS clearly above zero) for \(undefined) of \(conflicts.count) calibration items, "
                                      + "leaving \(items.count) to fit; raise --sigma or N")
        }
        let ratios = items.flatMap { $0.map(\.2) }
        let anchor = ratios.reduce(0, +) / Double(ratios.count)
        let grid = alphas.flatMap { a in betas.map { (a, $0) } }
        var tallies = [AnswerTally](repeating: AnswerTally(), count: grid.count)
        var errors = [GenerationErrors](repeating: GenerationErrors(), count: grid.count)
        var base = AnswerTally()
        var baseErrors = GenerationErrors()
        for item in items {
            var answers = [ItemAnswers](repeating: ItemAnswers(isConflict: true), count: grid.count)
            var baseAnswers = ItemAnswers(isConflict: true)
            for (probe, pass, r) in item {
                let scales = [Float(0)] + grid.map { Float($0.0 * AMPSScaling(beta: $0.1, anchor: anchor).factor(mcr: r)) }
                let st = vectors.steering(window: window, scales: scales, lastTokenOnly: lastTokenOnly, promptLength: pass.length)
                let logits = try model.logitsWithSteering(pass, steering: st, batch: scales.count)
                guard logits.allFinite else { throw AMPSError.numerical("instance \(probe.instance.id): steered logits contain NaN or infinity") }
                let c0 = probe.answerClass(logits, row: 0)
                base.add(c0)
                baseAnswers.answers[probe.order] = c0
                for i in grid.indices {
                    let c = probe.answerClass(logits, row: i + 1)
                    tallies[i].add(c)
                    answers[i].answers[probe.order] = c
                }
            }
            for i in grid.indices { errors[i].add(answers[i]) }
            baseErrors.add(baseAnswers)
        }
        let b0 = base.visionRatio
        let rows = grid.indices.map { i -> Row in
            let shift = zip2(tallies[i].visionRatio, b0).map { $0 - $1 }
            return Row(alpha: grid[i].0, beta: grid[i].1, visionRatio: tallies[i].visionRatio, shift: shift,
                       otherRate: errors[i].otherRate, letterCollapseRate: errors[i].letterCollapseRate, errorRate: errors[i].errorRate,
                       objective: Row.objective(shift: shift, errorRate: errors[i].errorRate, lambda: lambda))
        }
        var byProbe: [String: [OptionOrder: Double]] = [:]
        for item in items { for (probe, _, r) in item { byProbe[probe.instance.id, default: [:]][probe.order] = r } }
        return ScalingFit(anchor: anchor, best: best(rows)!, rows: rows, baselineVisionRatio: b0, baselineErrors: baseErrors,
                          probes: ratios.count, undefinedItems: undefined, features: features, ratios: ratios, ratioByProbe: byProbe)
    }

    public var scaling: AMPSScaling { AMPSScaling(beta: best.beta, anchor: anchor) }

    public func save(path: String, window: ClosedRange<Int>, lambda: Double, samples: Int) throws {
        let obj: [String: Any] = [
            "kind": "amps-scaling", "beta": best.beta, "anchor": anchor, "alpha": best.alpha, "lambda": lambda,
            "window": [window.lowerBound, window.upperBound], "samples": samples, "probes": probes, "undefined_mcr_items": undefinedItems,
            "rule": "factor = max(0, 1 + beta * (MCR - anchor)); steering = alpha * factor * u_l",
            "objective": "J = shift - lambda * error_rate",
            "fit": rows.map { r -> [String: Any] in
                ["alpha": r.alpha, "beta": r.beta, "vision_ratio": r.visionRatio ?? NSNull(), "shift": r.shift ?? NSNull(),
                 "other_rate": r.otherRate ?? NSNull(), "letter_collapse_rate": r.letterCollapseRate ?? NSNull(),
                 "error_rate": r.errorRate ?? NSNull(), "objective": r.objective ?? NSNull()]
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
