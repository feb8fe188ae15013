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
    /// The directions steered methods are evaluated toward (both by default).
    public var directions: [SteeringDirection] = SteeringDirection.allCases
    /// Precision of α_flip and α_collapse (SensitivityThreshold).
    public var sensitivityPrecision = SensitivityThreshold.defaultPrecision

    public init(uniformAlphas: [Double], alpha: Double, window: ClosedRange<Int>) {
        self.uniformAlphas = uniformAlphas; self.alpha = alpha; self.window = window
    }
}

/// One row of the evaluation table: a method, the direction it steers toward and its
/// strength, identified by the names docs/METHOD.md lists.
public struct MethodKey: Sendable, Hashable {
    public var method: String          // none, instruction-vision, instruction-text, uniform, l2s, amps-rule, amps-learned, amps-scalar
    public var direction: SteeringDirection?
    public var alpha: Double?
    public init(_ method: String, direction: SteeringDirection? = nil, alpha: Double? = nil) {
        self.method = method; self.direction = direction; self.alpha = alpha
    }
    /// The label the text table prints, e.g. `uniform@0.5` (the direction is a column of its own).
    public var label: String { alpha.map { method + String(format: "@%g", $0) } ?? method }
}

/// One method's answers over the split: per-probe tallies (the vision ratio) and per-item
/// generation errors (both option orders read together).
public struct MethodResult: Sendable, Encodable {
    public var key: MethodKey
    public var method: String { key.method }
    public var alpha: Double? { key.alpha }
    public var direction: SteeringDirection? { key.direction }
    public var conflict = AnswerTally()
    public var nonConflict = AnswerTally()
    public var byTask: [String: AnswerTally] = [:]
    public var errors = GenerationErrors()
    /// Vision ratio minus that of `none`; set when the report is assembled.
    public var shift: Double?

    public init(key: MethodKey) { self.key = key }

    public var visionRatio: Double? { conflict.visionRatio }

    enum CodingKeys: String, CodingKey {
        case method, direction, alpha, conflict, nonConflict, byTask, errors
        case visionRatio = "vision_ratio", shift, otherRate = "other_rate", letterCollapseRate = "letter_collapse_rate"
        case accuracyNonConflict = "accuracy_non_conflict", errorRate = "error_rate"
    }

    /// Every figure is written, null where undefined.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        func finite(_ v: Double?) -> Double? { v.flatMap { $0.isFinite ? $0 : nil } }
        try c.encode(method, forKey: .method)
        try c.encode(direction?.rawValue, forKey: .direction)
        try c.encode(finite(alpha), forKey: .alpha)
        try c.encode(conflict, forKey: .conflict)
        try c.encode(nonConflict, forKey: .nonConflict)
        try c.encode(byTask, forKey: .byTask)
        try c.encode(errors, forKey: .errors)
        try c.encode(finite(visionRatio), forKey: .visionRatio)
        try c.encode(finite(shift), forKey: .shift)
        try c.encode(finite(errors.otherRate), forKey: .otherRate)
        try c.encode(finite(errors.letterCollapseRate), forKey: .letterCollapseRate)
        try c.encode(finite(errors.accuracyNonConflict), forKey: .accuracyNonConflict)
        try c.encode(finite(errors.errorRate), forKey: .errorRate)
    }
}

/// One conflict probe's numbers, for the sensitivity-vs-MCR relation.
public struct ProbeRecord: Sendable, Encodable {
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

    enum CodingKeys: String, CodingKey { case instance, task, order, mcr, ampsFactor, learnedFactor, alphaFlip, alphaCollapse, unsteered, unsteeredText }

    /// Undefined figures (an undefined MCR, no flip within the grid) are written as null.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        func finite(_ v: Double?) -> Double? { v.flatMap { $0.isFinite ? $0 : nil } }
        try c.encode(instance, forKey: .instance); try c.encode(task, forKey: .task); try c.encode(order, forKey: .order)
        try c.encode(finite(mcr), forKey: .mcr); try c.encode(finite(ampsFactor), forKey: .ampsFactor)
        try c.encode(finite(learnedFactor), forKey: .learnedFactor); try c.encode(finite(alphaFlip), forKey: .alphaFlip)
        try c.encode(finite(alphaCollapse), forKey: .alphaCollapse); try c.encode(unsteered, forKey: .unsteered)
        try c.encode(unsteeredText, forKey: .unsteeredText)
    }
}

public struct EvaluationReport: Sendable, Encodable {
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

    public var baseline: Double? { methods.first { $0.method == "none" }?.visionRatio }

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
        var answers: [(key: MethodKey, answer: AnswerClass)] = []
        var record: ProbeRecord?
    }

    public static func run(model: any ModelEngine, template: PromptTemplate, instances: [Instance], resources: SteeringResources,
                           settings: EvaluationSettings, dataName: String,
                           progress: (Int, Int) -> Void = { _, _ in }) throws -> EvaluationReport {
        try settings.perturbation.validate()
        guard settings.alpha.isFinite, settings.uniformAlphas.allSatisfy(\.isFinite) else {
            throw AMPSError.invalidInput("alpha values must be finite")
        }
        guard !settings.directions.isEmpty else { throw AMPSError.invalidInput("no steering direction to evaluate") }
        var results: [MethodKey: MethodResult] = [:]
        var order: [MethodKey] = []
        var probes: [ProbeRecord] = []
        var nConflict = 0, nOther = 0
        let perItem = settings.orders.count
        let cells = instances.flatMap { inst in settings.orders.map { (inst, $0) } }
        // Probes are independent: the workers take them in chunks of whole items (progress
        // after each), and the tallies are merged in the split's order, so the report does
        // not depend on the split.
        let chunk = max(1, Parallel.workers) * 4 * perItem
        var done = 0
        while done < cells.count {
            let part = Array(cells[done..<min(cells.count, done + chunk)])
            let outcomes = try Parallel.map(part.count) { i in
                try probeOutcome(model: model, template: template, instance: part[i].0, order: part[i].1,
                                 resources: resources, settings: settings)
            }
            for start in stride(from: 0, to: part.count, by: perItem) {
                let inst = part[start].0
                var items: [MethodKey: ItemAnswers] = [:]
                for k in start..<(start + perItem) {
                    let o = part[k].1
                    for a in outcomes[k].answers {
                        if results[a.key] == nil { results[a.key] = MethodResult(key: a.key); order.append(a.key) }
                        if inst.isConflict {
                            results[a.key]!.conflict.add(a.answer)
                            results[a.key]!.byTask[inst.task, default: AnswerTally()].add(a.answer)
                        } else {
                            results[a.key]!.nonConflict.add(a.answer)
                        }
                        items[a.key, default: ItemAnswers(isConflict: inst.isConflict)].answers[o] = a.answer
                    }
                    if inst.isConflict { nConflict += 1 } else { nOther += 1 }
                    if let r = outcomes[k].record { probes.append(r) }
                }
                for (key, item) in items { results[key]!.errors.add(item) }
            }
            done += part.count
            progress(done, cells.count)
        }
        var methods = order.compactMap { results[$0] }
        let baseline = results[MethodKey("none")]?.visionRatio
        for i in methods.indices { methods[i].shift = difference(methods[i].visionRatio, baseline) }
        return EvaluationReport(model: model.name, data: dataName, conflictProbes: nConflict, nonConflictProbes: nOther,
                                window: Array(settings.window), alpha: settings.alpha, samples: settings.perturbation.samples,
                                answerScoring: settings.scoring.name, methods: methods, probes: probes)
    }

    static func difference(_ a: Double?, _ b: Double?) -> Double? {
        guard let a, let b else { return nil }
        return a - b
    }

    /// Every method's answer for one instance asked in one option order.
    static func probeOutcome(model: any ModelEngine, template: PromptTemplate, instance inst: Instance, order o: OptionOrder,
                             resources: SteeringResources, settings: EvaluationSettings) throws -> ProbeOutcome {
        var out = ProbeOutcome()
        func record(_ key: MethodKey, _ c: AnswerClass) { out.answers.append((key, c)) }
        let uniformGrid = Array(Set([0] + settings.uniformAlphas)).sorted()
        let probe = try Probe(model: model, template: template, instance: inst, order: o, instruction: .none)
        let pass = try model.run(probe.input, steering: nil)
        guard pass.logits.allFinite else { throw AMPSError.numerical("instance \(inst.id): logits contain NaN or infinity") }
        // Every answer goes through the probe's scoring (`--answer`): under first-token the
        // class of the answer-position argmax, under generate the greedy text, steered alike.
        // The steering is built only when the answer is generated: first-token scoring (the
        // default) reads the batched logits already computed.
        func said(_ p: Probe, _ steering: @autoclosure () -> Steering?, _ first: AnswerDistribution) throws -> ScoredAnswer {
            guard settings.scoring != .firstToken else { return ScoredAnswer(answer: first.argmaxClass) }
            return try p.scored(settings.scoring, model: model, steering: steering(), firstToken: first)
        }
        func uniform(_ scale: Double) -> Steering {
            resources.vectors.steering(window: settings.window, scales: [Float(scale)], lastTokenOnly: settings.lastTokenOnly,
                                       promptLength: pass.length)
        }
        let base = try said(probe, nil, probe.answer(pass.logits))
        record(MethodKey("none"), base.answer)
        if settings.includeInstructions {
            for ins in [Instruction.vision, .text] {
                let p = try Probe(model: model, template: template, instance: inst, order: o, instruction: ins)
                record(MethodKey("instruction-\(ins.rawValue)", direction: ins == .vision ? .vision : .text),
                       try said(p, nil, p.answer(try model.lastLogits(p.input, steering: nil))).answer)
            }
        }
        var visionCurve: SensitivityCurve?
        for d in settings.directions {
            let signed = uniformGrid.map { d.sign * $0 }
            let st = resources.vectors.steering(window: settings.window, scales: signed.map(Float.init), lastTokenOnly: settings.lastTokenOnly,
                                                promptLength: pass.length)
            let logits = try model.logitsWithSteering(pass, steering: st, batch: signed.count)
            guard logits.allFinite else { throw AMPSError.numerical("instance \(inst.id): steered logits contain NaN or infinity") }
            if d == .vision { visionCurve = SensitivityCurve(alphas: signed, answers: signed.indices.map { probe.answer(logits, row: $0) }) }
            for (k, a) in uniformGrid.enumerated() where a != 0 || settings.uniformAlphas.contains(0) {
                record(MethodKey("uniform", direction: d, alpha: a), try said(probe, uniform(signed[k]), probe.answer(logits, row: k)).answer)
            }
        }
        var mcr: Double?? = nil
        var ruleFactor: Double?, scalarFactor: Double?
        if resources.scaling != nil {
            let r = try AdaptiveSteering.windowRatio(model: model, pass: pass, probe: probe, window: settings.window, settings: settings.perturbation).ratio
            mcr = .some(r)
            ruleFactor = try AdaptiveSteering.factor(mode: .amps, model: model, pass: pass, probe: probe, window: settings.window,
                                                     resources: resources, settings: settings.perturbation, mcr: r)
        }
        if resources.scaler != nil {
            scalarFactor = try AdaptiveSteering.factor(mode: .learned, model: model, pass: pass, probe: probe, window: settings.window,
                                                       resources: resources, settings: settings.perturbation)
        }
        for d in settings.directions {
            // Toward text the rule reads the text share (SteeringDirection); the scalar scaler,
            // trained on the vision-direction factor 1 + gamma, is mirrored to 1 - gamma.
            var adaptive: [(String, Double)] = []
            if let rule = resources.scaling, ruleFactor != nil {
                adaptive.append(("amps-rule", (mcr ?? nil).map { rule.factor(mcr: $0, toward: d) } ?? 1))
            }
            if scalarFactor != nil {
                adaptive.append(("amps-scalar", try AdaptiveSteering.factor(mode: .learned, model: model, pass: pass, probe: probe, window: settings.window,
                                                                            resources: resources, settings: settings.perturbation, toward: d)))
            }
            guard !adaptive.isEmpty else { continue }
            let scales = adaptive.map { Float(d.sign * settings.alpha * $0.1) }
            let st = resources.vectors.steering(window: settings.window, scales: scales, lastTokenOnly: settings.lastTokenOnly, promptLength: pass.length)
            let logits = try model.logitsWithSteering(pass, steering: st, batch: scales.count)
            guard logits.allFinite else { throw AMPSError.numerical("instance \(inst.id): steered logits contain NaN or infinity") }
            for (i, (name, _)) in adaptive.enumerated() {
                record(MethodKey(name, direction: d, alpha: settings.alpha),
                       try said(probe, uniform(Double(scales[i])), probe.answer(logits, row: i)).answer)
            }
        }
        for d in settings.directions {
            for (name, net) in [("l2s", resources.l2s), ("amps-learned", resources.ampsLearned[d])] {
                guard let net else { continue }
                let st = net.steering(input: try SteeringNetwork.input(model: model, pass: pass, layer: net.inputLayer),
                                      scale: Float(d.sign * settings.alpha), lastTokenOnly: settings.lastTokenOnly, promptLength: pass.length)
                let logits = try model.logitsWithSteering(pass, steering: st, batch: 1)
                guard logits.allFinite else { throw AMPSError.numerical("instance \(inst.id): \(name)-steered logits contain NaN or infinity") }
                record(MethodKey(name, direction: d, alpha: settings.alpha), try said(probe, st, probe.answer(logits)).answer)
            }
        }
        var flip: Double?, collapse: Double?
        if inst.isConflict, let c = visionCurve {
            flip = try SensitivityThreshold.refine(model: model, pass: pass, probe: probe, vectors: resources.vectors, window: settings.window,
                                                   curve: c, target: .vision, precision: settings.sensitivityPrecision, lastTokenOnly: settings.lastTokenOnly)
            collapse = try SensitivityThreshold.refine(model: model, pass: pass, probe: probe, vectors: resources.vectors, window: settings.window,
                                                       curve: c, target: .other, precision: settings.sensitivityPrecision, lastTokenOnly: settings.lastTokenOnly)
        }
        if inst.isConflict {
            out.record = ProbeRecord(instance: inst.id, task: inst.task, order: o.rawValue, mcr: mcr ?? nil,
                                     ampsFactor: ruleFactor, learnedFactor: scalarFactor,
                                     alphaFlip: flip, alphaCollapse: collapse, unsteered: base.answer.rawValue,
                                     unsteeredText: base.text)
        }
        return out
    }
}
