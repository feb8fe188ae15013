import AMPSCore
import AMPSMethod
import AMPSModel
import ArgumentParser
import Foundation

struct DiagnoseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diagnose",
        abstract: "One instance: the per-layer MCS map, MCR, steering sensitivity curve and steered answers.")

    @OptionGroup var model: ModelOptions
    @OptionGroup var method: MethodOptions

    @Option(name: .long, help: "image_id of the instance.")
    var instance: String

    @Option(name: .long, help: "Option order: vision-first (A = vision answer) or text-first.")
    var order: String = "vision-first"

    @Option(name: .long, help: "Instruction line: none, vision or text.")
    var instruction: String = "none"

    @Option(name: .long, help: "Steering strength for the steered answers (default: the fitted one, else 2).")
    var alpha: Double?

    @Option(name: .customLong("alpha-max"), help: "Largest alpha of the sensitivity grid.")
    var alphaMax: Double = 4

    @Option(name: .customLong("alpha-steps"), help: "Steps of the sensitivity grid.")
    var alphaSteps: Int = 16

    @OptionGroup var networks: SteeringNetworkOptions

    @Option(name: .customLong("sensitivity-precision"), help: "Precision of alpha_flip and alpha_collapse (bisection between grid points).")
    var sensitivityPrecision: Double = SensitivityThreshold.defaultPrecision

    @Option(name: .customLong("dump-noise"), help: "Write every noise sample used to this .safetensors file (for the PyTorch reference).")
    var dumpNoise: String?

    @Flag(name: .long, help: "JSON output.")
    var json = false

    func run() throws {
        try reportingErrors {
            try checkOptionBounds()
            let m = try model.startEngine()
            let set = try method.instances()
            let inst = try set.instance(id: instance)
            guard let o = OptionOrder(rawValue: order) else { throw AMPSError.invalidInput("--order must be vision-first or text-first (got '\(order)')") }
            guard let ins = Instruction(rawValue: instruction) else { throw AMPSError.invalidInput("--instruction must be none, vision or text (got '\(instruction)')") }
            guard alphaMax.isFinite, alphaMax > 0, alphaSteps >= 1 else { throw AMPSError.invalidInput("--alpha-max must be positive and finite, --alpha-steps at least 1") }
            if let alpha, !alpha.isFinite { throw AMPSError.invalidInput("--alpha must be finite") }
            let settings = try method.perturbation()
            let scoring = try method.scoring()
            let window = try method.layerWindow(m)  // before the map: a bad --window fails at once
            // The artifacts too: a bad file is an error at once, not after minutes of Monte Carlo.
            let vpath = method.artifact(method.vectors, "steering_vectors.safetensors", model: m)
            let loaded = FileManager.default.fileExists(atPath: vpath) || method.vectors != nil ? try method.resources(m) : nil
            let probe = try Probe(model: m, template: try method.template(m), instance: inst, order: o, instruction: ins, textSpan: try method.span())
            let pass = try m.run(probe.input)
            guard pass.logits.allFinite else { throw AMPSError.numerical("instance \(inst.id): logits contain NaN or infinity") }
            let clean = probe.answer(pass.logits)
            let cleanScored = try probe.scored(scoring, model: m, steering: nil, firstToken: clean)
            let bar = ProgressBar(label: "MCS")
            var done = 0
            let map = try ModalityContribution.map(model: m, pass: pass, probe: probe, settings: settings) { _ in
                done += 1; bar.update(done, m.layerCount); return true
            }
            if let dumpNoise {
                guard let swift = m as? LlavaModel else {
                    throw AMPSError.unsupported("--dump-noise writes the swift engine's noise; run it with --engine swift (the noise is the same on every engine)")
                }
                let p = try swift.promptPass(pass)
                var tensors: [String: Tensor] = [:]
                for l in 0..<m.layerCount {
                    for mod in Modality.allCases {
                        for (k, t) in swift.noise(p, ModalityContribution.request(probe: probe, layer: l, modality: mod, settings: settings)) {
                            tensors["noise.\(mod.rawValue).\(l).\(k)"] = t
                        }
                    }
                }
                try SafeTensorsWriter.write(tensors, metadata: [
                    "prompt": probe.prompt, "image": inst.imagePath, "instance": inst.id, "target": settings.target.rawValue,
                    "functional": settings.functional.rawValue, "samples": "\(settings.samples)",
                    "vision_positions": probe.visionPositions.map(String.init).joined(separator: ","),
                    "text_positions": probe.textPositions.map(String.init).joined(separator: ","),
                    "answer_ids": "\(probe.answerA),\(probe.answerB)", "order": o.rawValue,
                ], to: dumpNoise)
            }
            guard sensitivityPrecision.isFinite, sensitivityPrecision > 0 else {
                throw AMPSError.invalidInput("--sensitivity-precision must be a positive number (got \(sensitivityPrecision))")
            }
            var resources: SteeringResources?
            var curve: SensitivityCurve?
            var thresholds: (flip: Double?, collapse: Double?) = (nil, nil)
            var steered: [SteeredAnswer] = []
            if var r = loaded {
                let sp = method.artifact(method.scaling, "scaling.json", model: m)
                try networks.load(into: &r, model: m, window: window, folder: URL(fileURLWithPath: sp).deletingLastPathComponent().path)
                resources = r
                let c = try SensitivityCurve.compute(model: m, pass: pass, probe: probe, vectors: r.vectors, window: window,
                                                     alphas: SensitivityCurve.grid(max: alphaMax, steps: alphaSteps), lastTokenOnly: method.lastTokenOnly)
                curve = c
                // Between the grid's points, by bisection (the grid's own step is far coarser).
                for target in [AnswerClass.vision, .other] {
                    let t = try SensitivityThreshold.refine(model: m, pass: pass, probe: probe, vectors: r.vectors, window: window, curve: c,
                                                            target: target, precision: sensitivityPrecision, lastTokenOnly: method.lastTokenOnly)
                    if target == .vision { thresholds.flip = t } else { thresholds.collapse = t }
                }
                let a = try alpha ?? (FileManager.default.fileExists(atPath: sp) ? ScalingFit.loadRule(path: sp, layers: m.layerCount).alpha : 2)
                for mode in [SteeringMode.uniform, .amps, .learned, .l2s, .ampsLearned] {
                    if mode == .amps && r.scaling == nil || mode == .learned && r.scaler == nil || mode == .l2s && r.l2s == nil
                        || mode == .ampsLearned && r.ampsLearned[.vision] == nil { continue }
                    let f = try AdaptiveSteering.factor(mode: mode, model: m, pass: pass, probe: probe, window: window, resources: r,
                                                        settings: settings, mcr: mode == .amps ? .some(map.ratio(window: window)) : nil)
                    let st = try AdaptiveSteering.steering(mode: mode, model: m, pass: pass, window: window, resources: r, scale: a * f,
                                                           lastTokenOnly: method.lastTokenOnly)
                    let logits = try m.logitsWithSteering(pass, steering: st, batch: 1)
                    guard logits.allFinite else { throw AMPSError.numerical("instance \(inst.id): steered logits contain NaN or infinity") }
                    let first = probe.answer(logits)
                    steered.append(SteeredAnswer(mode: mode.rawValue, alpha: a * f, distribution: first,
                                                 scored: try probe.scored(scoring, model: m, steering: st, firstToken: first)))
                }
            }
            if json {
                try writeJSON(DiagnosisJSON.object(instance: inst, probe: probe, clean: clean, cleanScored: cleanScored, scoring: scoring,
                                                   map: map, window: window, curve: curve, thresholds: thresholds, steered: steered,
                                                   settings: settings, precision: sensitivityPrecision))
            } else {
                print(DiagnosisJSON.text(instance: inst, probe: probe, clean: clean, cleanScored: cleanScored, map: map, window: window, curve: curve,
                                         thresholds: thresholds, steered: steered, settings: settings, hasVectors: resources != nil))
            }
        }
    }
}

/// One steered answer of `diagnose`: the mode, its effective strength, the answer-position
/// distribution and the answer as `--answer` scores it.
struct SteeredAnswer {
    var mode: String
    var alpha: Double
    var distribution: AnswerDistribution
    var scored: ScoredAnswer
}

/// Diagnosis output, as JSON and as text.
enum DiagnosisJSON {
    static func answer(_ a: AnswerDistribution) -> [String: Any] {
        ["p_vision": a.pVision, "p_text": a.pText, "p_other": a.pOther, "answer": a.argmaxClass.rawValue, "top_token_id": a.topTokenId]
    }

    /// The distribution, with `answer` as scored and the first-token class beside it.
    static func answer(_ a: AnswerDistribution, scored s: ScoredAnswer) -> [String: Any] {
        var o = answer(a)
        o["first_token_answer"] = a.argmaxClass.rawValue
        o["answer"] = s.answer.rawValue
        if let t = s.text { o["generated_text"] = t }
        if let ids = s.ids { o["generated_ids"] = ids }
        return o
    }

    /// How a scored answer reads in the text report.
    static func said(_ s: ScoredAnswer) -> String {
        guard let t = s.text else { return s.answer.rawValue }
        return "\(s.answer.rawValue) (generated \(t.debugDescription))"
    }

    static func object(instance i: Instance, probe: Probe, clean: AnswerDistribution, cleanScored: ScoredAnswer, scoring: AnswerScoring,
                       map: ContributionMap, window: ClosedRange<Int>, curve: SensitivityCurve?,
                       thresholds: (flip: Double?, collapse: Double?), steered: [SteeredAnswer],
                       settings: PerturbationSettings, precision: Double) -> [String: Any] {
        var o: [String: Any] = [
            "instance": i.id, "task": i.task, "kind": i.kind.rawValue, "order": probe.order.rawValue, "instruction": probe.instruction.rawValue,
            "prompt": probe.prompt, "answer_vision": i.answerVision, "answer_text": i.answerText,
            "input_ids": probe.input.ids, "vision_positions": probe.visionPositions, "text_positions": probe.textPositions,
            "unsteered": answer(clean, scored: cleanScored), "answer_scoring": scoring.name,
            "settings": ["samples": settings.samples, "sigma_scale": settings.sigmaScale, "seed": settings.seed,
                         "functional": settings.functional.rawValue, "target": settings.target.rawValue],
            "window": [window.lowerBound, window.upperBound],
            "mcr_window": jnum(map.ratio(window: window)),
            "layers": map.layers.map { l -> [String: Any] in
                ["layer": l.layer, "mcs_vision": l.vision.value, "mcs_vision_se": l.vision.standardError,
                 "mcs_text": l.text.value, "mcs_text_se": l.text.standardError, "mcr": jnum(l.ratio)]
            },
        ]
        if let curve {
            o["sensitivity"] = ["alphas": curve.alphas, "points": curve.answers.map(answer),
                                "alpha_flip": jnum(thresholds.flip), "alpha_collapse": jnum(thresholds.collapse),
                                "alpha_flip_grid": jnum(curve.alphaFlip), "alpha_collapse_grid": jnum(curve.alphaCollapse),
                                "precision": precision]
        }
        o["steered"] = steered.map { ["mode": $0.mode, "alpha": $0.alpha, "answer": answer($0.distribution, scored: $0.scored)] as [String: Any] }
        return o
    }

    static func text(instance i: Instance, probe: Probe, clean: AnswerDistribution, cleanScored: ScoredAnswer, map: ContributionMap,
                     window: ClosedRange<Int>, curve: SensitivityCurve?, thresholds: (flip: Double?, collapse: Double?),
                     steered: [SteeredAnswer], settings: PerturbationSettings, hasVectors: Bool) -> String {
        var s: [String] = []
        s.append("instance \(i.id)  task \(i.task)  \(i.kind.rawValue)  order \(probe.order.rawValue)  instruction \(probe.instruction.rawValue)")
        s.append("question: \(i.question)   vision answer: \(i.answerVision)   text answer: \(i.answerText)")
        s.append("context: \(i.context)")
        s.append("unsteered: P(vision) \(fmt(clean.pVision))  P(text) \(fmt(clean.pText))  P(other) \(fmt(clean.pOther))  -> \(said(cleanScored))")
        s.append("")
        s.append("MCS (functional entropy, \(settings.functional.rawValue), N=\(settings.samples), sigma x\(settings.sigmaScale), noise on \(settings.target.rawValue))")
        s.append("layer   MCS_vision (±se)        MCS_text (±se)          MCR")
        for l in map.layers {
            let mark = window.contains(l.layer) ? " *" : ""
            s.append(String(format: "%5d   ", l.layer) + "\(fmt(l.vision.value, "%.3e")) (±\(fmt(l.vision.standardError, "%.1e")))".rightPad(24)
                     + "\(fmt(l.text.value, "%.3e")) (±\(fmt(l.text.standardError, "%.1e")))".rightPad(24) + mcrText(l.ratio) + mark)
        }
        s.append("MCR over the steering window \(window.lowerBound)-\(window.upperBound) (*): \(mcrText(map.ratio(window: window)))")
        if let curve {
            s.append("")
            s.append("sensitivity (uniform steering on layers \(window.lowerBound)-\(window.upperBound))")
            s.append("  alpha   P(vision)  P(text)  P(other)  answer")
            for (a, p) in zip(curve.alphas, curve.answers) {
                s.append(String(format: "%7.2f   %8.4f  %7.4f  %8.4f  ", a, p.pVision, p.pText, p.pOther) + p.argmaxClass.rawValue)
            }
            s.append("alpha_flip \(fmt(thresholds.flip, "%.3f"))   alpha_collapse \(fmt(thresholds.collapse, "%.3f"))   (bisected; grid: \(fmt(curve.alphaFlip, "%.2f")), \(fmt(curve.alphaCollapse, "%.2f")))")
            for st in steered {
                let p = st.distribution
                s.append("\(st.mode.rightPad(8)) alpha \(fmt(st.alpha, "%.3f")): P(vision) \(fmt(p.pVision))  P(text) \(fmt(p.pText))  P(other) \(fmt(p.pOther))  -> \(said(st.scored))")
            }
        } else if !hasVectors {
            s.append("(no steering vectors: run `amps vectors` for the sensitivity curve)")
        }
        return s.joined(separator: "\n")
    }
}

/// An MCR on screen: "—" where it is undefined (neither modality's MCS clearly above zero).
func mcrText(_ v: Double?) -> String { v.map { fmt($0) } ?? "—" }
