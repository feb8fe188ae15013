import AMPSCore
import AMPSMethod
import AMPSModel
import Foundation

/// The background engine: one thread that owns the model (and so BLAS), works on the
/// newest request only, and posts results as events. The UI thread never touches the
/// model; it submits requests and drains events once per frame.
public final class EngineWorker: @unchecked Sendable {
    public let model: any ModelEngine
    public let template: PromptTemplate
    public let instances: [Instance]
    public let resources: SteeringResources?
    /// How answers are read (`--answer`): under `generate` the answers and the list's
    /// column come from generated text.
    public let scoring: AnswerScoring
    /// Monte Carlo samples for the list's background MCR (kept small so the list fills fast).
    public var listSamples = 8

    private let condition = NSCondition()
    private var pending: EngineRequest?
    private var events: [EngineEvent] = []
    private var stopped = false
    private var thread: Thread?
    private var onEvent: (() -> Void)?

    // Caches, touched by the worker thread only.
    private var passes: [String: EnginePass] = [:]
    private var passOrder: [String] = []
    private var maps: [String: [Int: LayerContribution]] = [:]
    private var curves: [String: SensitivityCurve] = [:]
    private var thresholds: [String: SensitivityThresholds] = [:]
    private var listSignature = 0
    private var listNext = 0

    public init(model: any ModelEngine, template: PromptTemplate, instances: [Instance], resources: SteeringResources?,
                scoring: AnswerScoring = .firstToken) {
        self.model = model; self.template = template; self.instances = instances; self.resources = resources
        self.scoring = scoring
    }

    /// Starts the thread. `wake` is called (on the worker thread) after each new event.
    public func start(wake: (() -> Void)? = nil) {
        onEvent = wake
        let t = Thread { [weak self] in
            // Below the UI thread, which owns the screen and must answer keys at once.
            Parallel.helperNiceness = 5
            Parallel.setThreadNiceness(5)
            self?.loop()
        }
        t.name = "amps-engine"
        t.stackSize = 8 << 20
        thread = t
        t.start()
    }

    public func submit(_ request: EngineRequest) {
        condition.lock()
        pending = request
        condition.signal()
        condition.unlock()
    }

    public func drainEvents() -> [EngineEvent] {
        condition.lock(); defer { condition.unlock() }
        let e = events
        events.removeAll()
        return e
    }

    public func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }

    private func post(_ e: EngineEvent) {
        condition.lock()
        events.append(e)
        condition.unlock()
        onEvent?()
    }

    /// True when a newer request (or a stop) arrived: the current work should end.
    private var superseded: Bool {
        condition.lock(); defer { condition.unlock() }
        return pending != nil || stopped
    }

    private func loop() {
        var current: EngineRequest?
        while true {
            condition.lock()
            while pending == nil && !stopped && (current == nil || listNext >= instances.count) { condition.wait() }
            if stopped { condition.unlock(); return }
            let fresh = pending
            pending = nil
            condition.unlock()
            if let r = fresh {
                current = r
                process(r)
            } else if let r = current {
                fillListStep(r)
            }
        }
    }

    // MARK: the current instance

    private func key(_ r: EngineRequest) -> String { "\(r.instanceIndex)/\(r.order.rawValue)/\(r.instruction.rawValue)" }

    private func mapKey(_ r: EngineRequest) -> String {
        let p = r.perturbation
        return key(r) + "/\(p.samples)/\(p.sigmaScale)/\(p.seed)/\(p.functional.rawValue)/\(p.target.rawValue)"
    }

    private func probeAndPass(_ index: Int, _ order: OptionOrder, _ instruction: Instruction) throws -> (Probe, EnginePass) {
        let probe = try Probe(model: model, template: template, instance: instances[index], order: order, instruction: instruction)
        let k = "\(index)/\(order.rawValue)/\(instruction.rawValue)"
        if let p = passes[k] { return (probe, p) }
        let pass = try model.run(probe.input)
        guard pass.logits.allFinite else { throw AMPSError.numerical("instance \(instances[index].id): logits contain NaN or infinity") }
        passes[k] = pass
        passOrder.append(k)
        if passOrder.count > 6 { passes[passOrder.removeFirst()] = nil }
        return (probe, pass)
    }

    private func process(_ r: EngineRequest) {
        let g = r.generation
        do {
            guard instances.indices.contains(r.instanceIndex) else { return }
            try r.steering.validate(layers: model.layerCount)
            try r.perturbation.validate()
            post(.busy("forward pass"))
            let (probe, pass) = try probeAndPass(r.instanceIndex, r.order, r.instruction)
            let unsteered = probe.answer(pass.logits)
            // The steering window's MCS first: AMPS needs it, and it is the part of the map users look at.
            let mk = mapKey(r)
            var map = maps[mk] ?? [:]
            let window = Array(r.steering.window)
            let order = window + (0..<model.layerCount).filter { !r.steering.window.contains($0) }
            var factor = 1.0, ratio: Double?
            func computeLayer(_ l: Int) throws {
                if map[l] == nil {
                    map[l] = try ModalityContribution.layer(model: model, pass: pass, probe: probe, layer: l, settings: r.perturbation)
                    maps[mk] = map
                }
                post(.mapRow(generation: g, map[l]!, done: map.count, total: model.layerCount))
            }
            if r.steering.mode == .amps {
                post(.busy("MCS of the steering window"))
                for l in window { try computeLayer(l); if superseded { return } }
                ratio = ContributionMap(layers: Array(map.values)).ratio(window: r.steering.window)
            }
            var steeredPass = pass
            var steered: AnswerDistribution?
            var steering: Steering?
            if let res = resources, r.steering.mode != .none {
                factor = try AdaptiveSteering.factor(mode: r.steering.mode, model: model, pass: pass, probe: probe, window: r.steering.window,
                                                     resources: res, settings: r.perturbation, mcr: r.steering.mode == .amps ? .some(ratio) : nil,
                                                     toward: r.steering.alpha < 0 ? .text : .vision)
                let st = try AdaptiveSteering.steering(mode: r.steering.mode, model: model, pass: pass, window: r.steering.window,
                                                       resources: res, scale: r.steering.alpha * factor, lastTokenOnly: r.steering.lastTokenOnly)
                steering = st
                steeredPass = try model.run(probe.input, steering: st, resumingFrom: pass)  // layers below the window are the clean pass's
                guard steeredPass.logits.allFinite else { throw AMPSError.numerical("steered logits contain NaN or infinity") }
                steered = probe.answer(steeredPass.logits)
            }
            var answers = SteeredAnswers(unsteered: unsteered, steered: steered, effectiveAlpha: r.steering.mode == .none ? 0 : r.steering.alpha * factor,
                                         factor: factor, windowRatio: ratio)
            post(.answers(generation: g, answers))
            // The other option order, steered the same way (its own MCR for AMPS): both orders
            // together show a letter collapse.
            let otherOrder: OptionOrder = r.order == .visionFirst ? .textFirst : .visionFirst
            let (otherProbe, otherPass) = try probeAndPass(r.instanceIndex, otherOrder, r.instruction)
            var otherSteered: AnswerDistribution?
            if let res = resources, r.steering.mode != .none {
                if superseded { return }
                let otherRatio: Double?? = r.steering.mode == .amps
                    ? .some(try AdaptiveSteering.windowRatio(model: model, pass: otherPass, probe: otherProbe, window: r.steering.window,
                                                             settings: r.perturbation).ratio)
                    : nil
                let f = try AdaptiveSteering.factor(mode: r.steering.mode, model: model, pass: otherPass, probe: otherProbe, window: r.steering.window,
                                                    resources: res, settings: r.perturbation, mcr: otherRatio, toward: r.steering.alpha < 0 ? .text : .vision)
                let st = try AdaptiveSteering.steering(mode: r.steering.mode, model: model, pass: otherPass, window: r.steering.window,
                                                       resources: res, scale: r.steering.alpha * f, lastTokenOnly: r.steering.lastTokenOnly)
                otherSteered = otherProbe.answer(try model.logitsWithSteering(otherPass, steering: st, batch: 1))
            }
            answers.otherOrder = OrderAnswers(order: otherOrder, unsteered: otherProbe.answer(otherPass.logits), steered: otherSteered)
            post(.answers(generation: g, answers))
            post(.layer(generation: g, try layerDetail(steeredPass, probe: probe, layer: min(r.layer, model.layerCount - 1))))
            if superseded { return }
            if scoring != .firstToken {
                post(.busy("generating the answers"))
                answers.unsteeredGenerated = try probe.scored(scoring, model: model, steering: nil, firstToken: unsteered)
                if let steering, let steered {
                    if superseded { return }
                    answers.steeredGenerated = try probe.scored(scoring, model: model, steering: steering, firstToken: steered)
                }
                post(.answers(generation: g, answers))
                if superseded { return }
            }
            if let res = resources {
                post(.busy("sensitivity curve"))
                let ck = key(r) + "/\(r.steering.window)/\(r.alphaGrid)/\(r.steering.lastTokenOnly)"
                let curve = try curves[ck] ?? SensitivityCurve.compute(model: model, pass: pass, probe: probe, vectors: res.vectors,
                                                                         window: r.steering.window, alphas: r.alphaGrid,
                                                                         lastTokenOnly: r.steering.lastTokenOnly)
                curves[ck] = curve
                post(.curve(generation: g, curve))
                if superseded { return }
                var t = thresholds[ck]
                if t == nil {
                    post(.busy("alpha_flip by bisection"))
                    func refine(_ target: AnswerClass) throws -> Double? {
                        try SensitivityThreshold.refine(model: model, pass: pass, probe: probe, vectors: res.vectors, window: r.steering.window,
                                                        curve: curve, target: target, lastTokenOnly: r.steering.lastTokenOnly)
                    }
                    t = SensitivityThresholds(flip: try refine(.vision), collapse: try refine(.other), precision: SensitivityThreshold.defaultPrecision)
                    thresholds[ck] = t
                }
                post(.thresholds(generation: g, t!))
                if superseded { return }
                let ok = key(r).replacingOccurrences(of: "/\(r.order.rawValue)/", with: "/\(otherOrder.rawValue)/")
                    + "/\(r.steering.window)/\(r.alphaGrid)/\(r.steering.lastTokenOnly)"
                let otherCurve = try curves[ok] ?? SensitivityCurve.compute(model: model, pass: otherPass, probe: otherProbe, vectors: res.vectors,
                                                                              window: r.steering.window, alphas: r.alphaGrid,
                                                                              lastTokenOnly: r.steering.lastTokenOnly)
                curves[ok] = otherCurve
                post(.otherOrderCurve(generation: g, otherCurve))
            }
            for l in order {
                if superseded { return }
                post(.busy("MCS map, layer \(l)"))
                try computeLayer(l)
            }
            post(.busy(nil))
            let sig = EngineWorker.signature(r)
            if sig != listSignature { listSignature = sig; listNext = 0 }
        } catch {
            if engineIsGone(error) { return }
            post(.failure(generation: g, "\(error)"))
            post(.busy(nil))
        }
    }

    /// After an error: when the engine process is gone, says so once (the error screen) and
    /// stops the worker, since every later request would fail the same way.
    private func engineIsGone(_ error: Error) -> Bool {
        guard model.isLost else { return false }
        post(.engineLost("\(error)"))
        condition.lock(); stopped = true; condition.unlock()
        return true
    }

    private func layerDetail(_ pass: EnginePass, probe: Probe, layer l: Int) throws -> LayerDetail {
        let lens = try model.logitLens(pass, layer: l)
        let probs = softmaxDouble(lens)
        let topIds = Array(probs.indices.sorted { probs[$0] > probs[$1] }.prefix(5))
        let top = zip(try model.tokenNames(topIds), topIds).map { ($0, probs[$1]) }
        let d = model.hiddenSize
        let h = try model.residuals(pass, layers: [l], position: -1)[l]!
        var hn = 0.0
        for j in 0..<d { hn += Double(h[j] * h[j]) }
        var vn: Double?, cos: Double?
        if let u = resources?.vectors.vectors[l] {
            var un = 0.0, dot = 0.0
            for j in 0..<d { un += Double(u[j] * u[j]); dot += Double(u[j] * h[j]) }
            vn = un.squareRoot()
            if un > 0 && hn > 0 { cos = dot / (un.squareRoot() * hn.squareRoot()) }
        }
        return LayerDetail(layer: l, lens: probe.answer(lens), topTokens: top, residualNorm: hn.squareRoot(), vectorNorm: vn, cosine: cos)
    }

    // MARK: the instance list, in the background

    public static func signature(_ r: EngineRequest) -> Int {
        var h = Hasher()
        h.combine(r.order.rawValue); h.combine(r.instruction.rawValue); h.combine(r.steering.mode.rawValue)
        h.combine(r.steering.alpha); h.combine(r.steering.window.lowerBound); h.combine(r.steering.window.upperBound)
        h.combine(r.steering.lastTokenOnly); h.combine(r.perturbation.sigmaScale); h.combine(r.perturbation.seed)
        return h.finalize()
    }


    private func fillListStep(_ r: EngineRequest) {
        guard listNext < instances.count else { return }
        let i = listNext
        listNext += 1
        do {
            var p = r.perturbation
            p.samples = min(p.samples, listSamples)
            // The answer (steered as set) in one option order, with that probe's window MCR, and
            // the answer as `--answer` scores it.
            func answerIn(_ order: OptionOrder) throws -> (Probe, EnginePass, AnswerDistribution, Double?, AnswerClass) {
                let probe = try Probe(model: model, template: template, instance: instances[i], order: order, instruction: r.instruction)
                let pass = try model.run(probe.input)
                let ratio = try AdaptiveSteering.windowRatio(model: model, pass: pass, probe: probe, window: r.steering.window, settings: p).ratio
                var answer = probe.answer(pass.logits)
                var steering: Steering?
                if let res = resources, r.steering.mode != .none {
                    let f = try AdaptiveSteering.factor(mode: r.steering.mode, model: model, pass: pass, probe: probe, window: r.steering.window,
                                                        resources: res, settings: p, mcr: .some(ratio), toward: r.steering.alpha < 0 ? .text : .vision)
                    let st = try AdaptiveSteering.steering(mode: r.steering.mode, model: model, pass: pass, window: r.steering.window,
                                                           resources: res, scale: r.steering.alpha * f, lastTokenOnly: r.steering.lastTokenOnly)
                    answer = probe.answer(try model.logitsWithSteering(pass, steering: st, batch: 1))
                    steering = st
                }
                let said = try probe.scored(scoring, model: model, steering: steering, firstToken: answer).answer
                return (probe, pass, answer, ratio, said)
            }
            let (probe, pass, answer, ratio, mine) = try answerIn(r.order)
            let other = try answerIn(r.order == .visionFirst ? .textFirst : .visionFirst).4
            var flip: Double?
            if let res = resources {
                flip = try SensitivityCurve.compute(model: model, pass: pass, probe: probe, vectors: res.vectors, window: r.steering.window,
                                                    alphas: r.alphaGrid, lastTokenOnly: r.steering.lastTokenOnly).alphaFlip
            }
            post(.listRow(signature: listSignature, index: i, ListStats(answer: mine, pVision: answer.pVision, windowRatio: ratio, alphaFlip: flip,
                                                                        visionFirst: r.order == .visionFirst ? mine : other,
                                                                        textFirst: r.order == .textFirst ? mine : other)))
        } catch {
            if engineIsGone(error) { return }
            // A bad instance is reported once, then skipped.
            post(.failure(generation: -1, "instance \(instances[i].id): \(error)"))
        }
    }
}

func softmaxDouble(_ t: Tensor) -> [Double] {
    var mx = -Double.infinity
    for i in 0..<t.count { mx = max(mx, Double(t[i])) }
    let e = (0..<t.count).map { exp(Double(t[$0]) - mx) }
    let s = e.reduce(0, +)
    return e.map { $0 / s }
}
