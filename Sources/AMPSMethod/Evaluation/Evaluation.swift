import AMPSCore
import AMPSModel
import Foundation

/// What `amps eval` runs.
public struct EvaluationSettings: Sendable {
    public var uniformAlphas: [Double]
    /// The global strength the adaptive modes scale.
    public var alpha: Double
    public var window: ClosedRange<Int>
    public var perturbation = PerturbationSettings()
    public var lastTokenOnly = false
    public var orders: [OptionOrder] = OptionOrder.allCases
    public var includeInstructions = true
    public var scoring = AnswerScoring.firstToken

    public init(uniformAlphas: [Double], alpha: Double, window: ClosedRange<Int>) {
        self.uniformAlphas = uniformAlphas; self.alpha = alpha; self.window = window
    }
}

/// One method's answers over the split.
public struct MethodResult: Sendable, Codable {
    public var method: String
    public var alpha: Double?
    public var conflict = AnswerTally()
    public var nonConflict = AnswerTally()
    public var byTask: [String: AnswerTally] = [:]
}

/// One conflict probe's numbers, for the sensitivity-vs-MCR relation.
public struct ProbeRecord: Sendable, Codable {
    public var instance: String
    public var task: String
    public var order: String
    public var mcr: Double?
    public var ampsFactor: Double?
    public var learnedFactor: Double?
    public var alphaFlip: Double?
    public var alphaCollapse: Double?
    public var unsteered: String
    /// The unsteered generated answer, under `--answer generate`.
    public var unsteeredText: String?
}

public struct EvaluationReport: Sendable, Codable {
    public var model: String
    public var data: String
    public var conflictProbes: Int
    public var nonConflictProbes: Int
    public var window: [Int]
    public var alpha: Double
    public var samples: Int
    public var answerScoring: String
    public var methods: [MethodResult]
    public var probes: [ProbeRecord]

    public var baseline: Double? { methods.first { $0.method == "none" }?.conflict.visionRatio }

    /// MCR against alpha_flip over conflict probes that flip within the grid.
    public var sensitivityVsMCR: Correlation {
        let pairs = probes.compactMap { p -> (Double, Double)? in
            guard let m = p.mcr, let f = p.alphaFlip else { return nil }
            return (m, f)
        }
        return Correlation(pairs.map(\.0), pairs.map(\.1))
    }
}

public enum Evaluation {
    /// What one (instance, order) probe contributes: its answers per method, and for a
    /// conflict instance the record of its sensitivity and factors.
    struct ProbeOutcome {
        var answers: [(method: String, alpha: Double?, answer: AnswerClass)] = []
        var record: ProbeRecord?
    }

    public static func run(model: LlavaModel, template: PromptTemplate, instances: [Instance], resources: SteeringResources,
                           settings: EvaluationSettings, dataName: String,
                           progress: (Int, Int) -> Void = { _, _ in }) throws -> EvaluationReport {
        try settings.perturbation.validate()
        guard settings.alpha.isFinite, settings.uniformAlphas.allSatisfy(\.isFinite) else {
            throw AMPSError.invalidInput("alpha values must be finite")
        }
        var results: [String: MethodResult] = [:]
        var order: [String] = []
        var probes: [ProbeRecord] = []
        var nConflict = 0, nOther = 0
        let cells = instances.flatMap { inst in settings.orders.map { (inst, $0) } }
        // Probes are independent: the workers take them in chunks (progress after each), and
        // the tallies are merged in the split's order, so the report does not depend on the split.
        let chunk = max(1, Parallel.workers) * 8
        var done = 0
        while done < cells.count {
            let part = Array(cells[done..<min(cells.count, done + chunk)])
            let outcomes = try Parallel.map(part.count) { i in
                try probeOutcome(model: model, template: template, instance: part[i].0, order: part[i].1,
                                 resources: resources, settings: settings)
            }
            for ((inst, _), outcome) in zip(part, outcomes) {
                for a in outcome.answers {
                    if results[a.method] == nil { results[a.method] = MethodResult(method: a.method, alpha: a.alpha); order.append(a.method) }
                    if inst.isConflict {
                        results[a.method]!.conflict.add(a.answer)
                        results[a.method]!.byTask[inst.task, default: AnswerTally()].add(a.answer)
                    } else {
                        results[a.method]!.nonConflict.add(a.answer)
                    }
                }
                if inst.isConflict { nConflict += 1 } else { nOther += 1 }
                if let r = outcome.record { probes.append(r) }
            }
            done += part.count
            progress(done, cells.count)
        }
        return EvaluationReport(model: model.name, data: dataName, conflictProbes: nConflict, nonConflictProbes: nOther,
                                window: Array(settings.window), alpha: settings.alpha, samples: settings.perturbation.samples,
                                answerScoring: settings.scoring.name, methods: order.compactMap { results[$0] }, probes: probes)
    }

    /// Every method's answer for one instance asked in one option order.
    static func probeOutcome(model: LlavaModel, template: PromptTemplate, instance inst: Instance, order o: OptionOrder,
                             resources: SteeringResources, settings: EvaluationSettings) throws -> ProbeOutcome {
        var out = ProbeOutcome()
        func record(_ method: String, alpha: Double?, _ c: AnswerClass) { out.answers.append((method, alpha, c)) }
        let uniformGrid = Array(Set([0] + settings.uniformAlphas)).sorted()
        let probe = try Probe(model: model, template: template, instance: inst, order: o, instruction: .none)
        let pass = model.run(probe.input)
        guard pass.logits.allFinite else { throw AMPSError.numerical("instance \(inst.id): logits contain NaN or infinity") }
        func steering(_ scale: Double) -> Steering {
            resources.vectors.steering(window: settings.window, scales: [Float(scale)], lastTokenOnly: settings.lastTokenOnly,
                                       promptLength: pass.length)
        }
        let base = try probe.scored(settings.scoring, model: model, steering: nil, firstToken: probe.answer(pass.logits))
        record("none", alpha: nil, base.answer)
        if settings.includeInstructions {
            for ins in [Instruction.vision, .text] {
                let p = try Probe(model: model, template: template, instance: inst, order: o, instruction: ins)
                let first = p.answer(model.lastLogits(p.input))
                record("instruction:\(ins.rawValue)", alpha: nil, try p.scored(settings.scoring, model: model, steering: nil, firstToken: first).answer)
            }
        }
        let curve = try SensitivityCurve.compute(model: model, pass: pass, probe: probe, vectors: resources.vectors,
                                                 window: settings.window, alphas: uniformGrid, lastTokenOnly: settings.lastTokenOnly)
        for (a, ans) in zip(curve.alphas, curve.answers) where a != 0 || settings.uniformAlphas.contains(0) {
            record(String(format: "uniform@%g", a), alpha: a,
                   try probe.scored(settings.scoring, model: model, steering: steering(a), firstToken: ans).answer)
        }
        var mcr: Double?? = nil
        var adaptive: [(String, Double)] = []
        if resources.scaling != nil {
            let r = try AdaptiveSteering.windowRatio(model: model, pass: pass, probe: probe, window: settings.window, settings: settings.perturbation).ratio
            mcr = .some(r)
            adaptive.append(("amps", try AdaptiveSteering.factor(mode: .amps, model: model, pass: pass, probe: probe, window: settings.window,
                                                                 resources: resources, settings: settings.perturbation, mcr: r)))
        }
        if resources.scaler != nil {
            adaptive.append(("learned", try AdaptiveSteering.factor(mode: .learned, model: model, pass: pass, probe: probe, window: settings.window,
                                                                    resources: resources, settings: settings.perturbation)))
        }
        if !adaptive.isEmpty {
            let scales = adaptive.map { Float(settings.alpha * $0.1) }
            let st = resources.vectors.steering(window: settings.window, scales: scales, lastTokenOnly: settings.lastTokenOnly, promptLength: pass.length)
            let logits = model.logitsWithSteering(pass, steering: st, batch: scales.count)
            guard logits.allFinite else { throw AMPSError.numerical("instance \(inst.id): steered logits contain NaN or infinity") }
            for (i, (name, factor)) in adaptive.enumerated() {
                let scored = try probe.scored(settings.scoring, model: model, steering: steering(settings.alpha * factor),
                                              firstToken: probe.answer(logits, row: i))
                record(String(format: "%@@%g", name, settings.alpha), alpha: settings.alpha, scored.answer)
            }
        }
        if inst.isConflict {
            out.record = ProbeRecord(instance: inst.id, task: inst.task, order: o.rawValue, mcr: mcr ?? nil,
                                     ampsFactor: adaptive.first { $0.0 == "amps" }?.1,
                                     learnedFactor: adaptive.first { $0.0 == "learned" }?.1,
                                     alphaFlip: curve.alphaFlip, alphaCollapse: curve.alphaCollapse, unsteered: base.answer.rawValue,
                                     unsteeredText: base.text)
        }
        return out
    }
}
