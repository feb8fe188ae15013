import AMPSMethod
import Foundation

/// The current instance's diagnostics as JSON (the `e` key): what is on screen, with the
/// settings it was computed under.
enum DiagnosticsExport {
    static func json(_ s: InspectorState) throws -> Data {
        func num(_ v: Double?) -> Any { (v?.isFinite ?? false) ? v! : NSNull() }
        func answer(_ a: AnswerDistribution?) -> Any {
            guard let a else { return NSNull() }
            return ["p_vision": a.pVision, "p_text": a.pText, "p_other": a.pOther, "answer": a.argmaxClass.rawValue]
        }
        var o: [String: Any] = ["model": s.modelName, "data": s.dataName, "engine": s.engineLabel ?? "swift"]
        if let i = s.selected?.instance {
            o["instance"] = ["id": i.id, "task": i.task, "kind": i.kind.rawValue, "question": i.question, "context": i.context,
                             "answer_vision": i.answerVision, "answer_text": i.answerText]
        }
        o["settings"] = ["order": s.order.rawValue, "instruction": s.instruction.rawValue, "mode": s.steering.mode.rawValue,
                         "alpha": s.steering.alpha, "window": [s.steering.window.lowerBound, s.steering.window.upperBound],
                         "samples": s.perturbation.samples, "sigma_scale": s.perturbation.sigmaScale, "seed": s.perturbation.seed,
                         "functional": s.perturbation.functional.rawValue, "target": s.perturbation.target.rawValue]
        if let a = s.answers {
            o["unsteered"] = answer(a.unsteered)
            o["steered"] = ["answer": answer(a.steered), "effective_alpha": a.effectiveAlpha, "factor": a.factor, "window_mcr": num(a.windowRatio)]
        }
        o["mcs_map"] = s.mapRows.enumerated().map { l, r -> [String: Any] in
            guard let r else { return ["layer": l, "pending": true] }
            return ["layer": l, "mcs_vision": r.vision.value, "mcs_vision_se": r.vision.standardError,
                    "mcs_text": r.text.value, "mcs_text_se": r.text.standardError, "mcr": num(r.ratio)]
        }
        if let c = s.curve {
            o["sensitivity"] = ["alphas": c.alphas, "p_vision": c.answers.map(\.pVision), "p_text": c.answers.map(\.pText),
                                "p_other": c.answers.map(\.pOther), "alpha_flip": num(c.alphaFlip), "alpha_collapse": num(c.alphaCollapse)]
        }
        if let d = s.layerDetail {
            o["layer"] = ["layer": d.layer, "lens": answer(d.lens), "residual_norm": d.residualNorm, "vector_norm": num(d.vectorNorm),
                          "cosine": num(d.cosine), "top_tokens": d.topTokens.map { ["token": $0.token, "p": $0.probability] }]
        }
        return try JSONSerialization.data(withJSONObject: o, options: [.prettyPrinted, .sortedKeys])
    }
}
