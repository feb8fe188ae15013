import AMPSInspector
import AMPSMethod
import AMPSTerminal
import Foundation

/// A fixed, fully populated inspector state (no model needed) for rendering tests. The
/// numbers are arbitrary but deterministic; what the tests check is the drawing.
enum InspectorFixtures {
    static func image(seed: Int) -> AMPSTerminal.RGBImage {
        var px: [UInt8] = []
        for y in 0..<16 {
            for x in 0..<16 {
                let inSquare = (4..<12).contains(x) && (4..<12).contains(y)
                px += inSquare ? [220, UInt8(40 + seed * 20), 40] : [UInt8(20 + x * 4), UInt8(20 + y * 4), 90]
            }
        }
        return AMPSTerminal.RGBImage(width: 16, height: 16, pixels: px)!
    }

    static func instances() -> [InstanceSummary] {
        let tasks = ["color", "counting", "positional_reasoning", "object_recognition", "attribute"]
        return (0..<12).map { i in
            let conflict = i % 4 != 3
            let inst = Instance(id: "\(200000 + i)", imagePath: "/dev/null", task: tasks[i % tasks.count],
                                question: "What color is the square ?", answerVision: "red",
                                answerText: conflict ? "blue" : "red",
                                context: conflict ? "Someone guessed that the square might be blue , but was not sure ."
                                                  : "The caption says the square is red .",
                                kind: conflict ? .conflict : .consistent,
                                tags: ["image_reliability": i % 2 == 0 ? "clear" : "noisy", "text_reliability": "hedged"],
                                distractor: conflict ? nil : "green")
            return InstanceSummary(instance: inst, image: image(seed: i % 5))
        }
    }

    static func entropy(_ base: Double) -> FunctionalEntropy {
        try! FunctionalEntropy(samples: [base, base * 1.5, base * 0.5, base * 2])
    }

    static func answer(_ v: Double, _ t: Double) -> AnswerDistribution {
        let c: AnswerClass = v > t ? (v > 1 - v - t ? .vision : .other) : (t > 1 - v - t ? .text : .other)
        return AnswerDistribution(pVision: v, pText: t, argmaxClass: c, topTokenId: 5)
    }

    /// The state as it looks once the engine has answered everything.
    static func populated(focus: Pane) -> InspectorState {
        var s = InspectorState(modelName: "model", dataName: "test.jsonl", layerCount: 8, instances: instances(),
                               hasVectors: true, hasScaling: true, hasScaler: true, window: 3...5, alpha: 1.5)
        s.steering.mode = .amps
        s.perturbation.samples = 32
        s.layer = 4
        s.answers = SteeredAnswers(unsteered: answer(0.21, 0.74), steered: answer(0.62, 0.33), effectiveAlpha: 1.2,
                                   factor: 0.8, windowRatio: 0.41,
                                   otherOrder: OrderAnswers(order: .textFirst, unsteered: answer(0.35, 0.6), steered: answer(0.3, 0.66)))
        for l in 0..<8 {
            s.mapRows[l] = LayerContribution(layer: l, vision: entropy(0.002 * Double(l + 1)), text: entropy(0.02 / Double(l + 1)))
        }
        let alphas = SensitivityCurve.grid(max: 8, steps: 16)
        s.curve = SensitivityCurve(alphas: alphas, answers: alphas.map { a in
            let v = min(0.9, 0.2 + 0.12 * a), o = a > 6 ? min(0.9, (a - 6) * 0.3) : 0.02
            let t = max(0, 1 - v - o)
            return answer(v * (1 - o), t * (1 - o))
        })
        // The text-first order answers text (A) until alpha 5: once the vision-first order has
        // flipped to vision (A, from 2.5), both orders say A — a letter collapse from 2.5.
        s.otherOrderCurve = SensitivityCurve(alphas: alphas, answers: alphas.map { a in a < 5 ? answer(0.3, 0.68) : answer(0.7, 0.28) })
        // As the engine bisects them between the grid's points.
        s.thresholds = SensitivityThresholds(flip: 2.37, collapse: 7.18, precision: 0.01)
        s.layerDetail = LayerDetail(layer: 4, lens: answer(0.45, 0.5), topTokens: [("B", 0.5), ("A", 0.45), ("red", 0.02)],
                                    residualNorm: 12.5, vectorNorm: 3.25, cosine: -0.125)
        for i in 0..<8 {
            // Both orders: VV, then a letter collapse (TV: B in both orders), then TT, ...
            let a: AnswerClass = i % 3 == 0 ? .vision : .text
            s.listStats[i] = ListStats(answer: a, pVision: 0.1 * Double(i), windowRatio: 0.05 * Double(i + 2),
                                       alphaFlip: i % 3 == 0 ? 0 : Double(i), visionFirst: a, textFirst: i % 3 == 1 ? .vision : a)
        }
        s.focus = focus
        if focus != .list { s.detail = focus }
        return s
    }
}
