import AMPSCore
import AMPSModel
import Foundation

/// An input-dependent steering network (L2S's design): from the residual after an input
/// layer L' at the last token of the plain prompt to one steering vector per window layer,
///   g(h) = W2 tanh(W1 standardize(h) + b1) + b2,   W1 [K, D], W2 [D·|window|, K].
/// Trained on per-instance targets: z_i (mode `l2s`) or (1 + gamma_i) z_i (`amps-learned`,
/// the paper's Eq. 11). At inference alpha · g(h) is added at the window as uniform
/// steering adds alpha · u.
public struct SteeringNetwork: @unchecked Sendable {
    public enum Kind: String, Sendable, CaseIterable { case l2s, ampsLearned = "amps-learned" }

    public var kind: Kind
    /// The direction its targets point (amps-learned toward text is trained on the text
    /// rule's (1 + gamma_i^text) z_i and applied negated; L2S's targets are z_i, vision).
    public var toward: SteeringDirection = .vision
    public var modelName: String
    public var window: ClosedRange<Int>
    public var inputLayer: Int
    public var w1: Tensor   // [K, D]
    public var b1: Tensor   // [K]
    public var w2: Tensor   // [O, K], O = D · |window|
    public var b2: Tensor   // [O]
    public var mean: Tensor // [D]
    public var std: Tensor  // [D]
    public var metadata: [String: String] = [:]

    public var hidden: Int { w1.shape[0] }
    public var inputSize: Int { w1.shape[1] }
    public var outputSize: Int { w2.shape[0] }

    /// How the network is trained (docs/METHOD.md lists the defaults).
    public struct Training: Sendable {
        public var hidden = 32
        public var epochs = 300
        public var learningRate: Float = 1e-3
        public var batchSize = 32
        /// Weight of the L1 term mean |g(h)| (L2S's sparsity term; off by default).
        public var l1: Float = 0
        /// Weight of the cosine term mean over layers of 1 - cos(g_l(h), z_l) (off by default).
        public var cosine: Float = 0
        /// Stop when the validation loss has not improved for this many epochs; the best
        /// epoch's weights are kept.
        public var patience = 30
        /// Share of the items (both orders together) held out for validation.
        public var validationShare = 0.2
        public var seed: UInt64 = 0
        public init() {}
    }

    public struct TrainingReport: Sendable {
        public var epochs: [(epoch: Int, train: Double, validation: Double)]
        public var bestEpoch: Int
        public var trainCount: Int
        public var validationCount: Int
        public var initialValidation: Double
        public var bestValidation: Double
    }

    /// The plain prompt's feature: residual after `layer` at the last prompt token.
    public static func input(model: any ModelEngine, pass: EnginePass, layer: Int) throws -> [Float] {
        try model.residuals(pass, layers: [layer], position: -1)[layer]!
    }

    /// The engine hook adding scale · g(h) at the window (`lastTokenOnly`: the last prompt
    /// token and generated tokens only, as for the steering vectors).
    public func steering(input h: [Float], scale: Float, lastTokenOnly: Bool, promptLength: Int) -> Steering {
        Steering(vectors: predict(h), scales: [scale], positions: lastTokenOnly ? .positions([promptLength - 1], generated: true) : .all)
    }

    /// g(h): one [D] vector per window layer.
    public func predict(_ h: [Float]) -> [Int: Tensor] {
        let y = forward(Tensor(shape: [1, inputSize], values: h)).y
        let d = inputSize
        var out: [Int: Tensor] = [:]
        for (k, l) in window.enumerated() { out[l] = Tensor(copying: y.data + k * d, shape: [d]) }
        return out
    }

    /// Batched forward: X [B, D] raw features -> (standardized Z, H = tanh [B, K], Y [B, O]).
    func forward(_ x: Tensor) -> (z: Tensor, h: Tensor, y: Tensor) {
        let b = x.shape[0], d = inputSize, k = hidden, o = outputSize
        let z = Tensor(uninitialized: [b, d])
        for r in 0..<b { for j in 0..<d { z.data[r * d + j] = (x.data[r * d + j] - mean[j]) / std[j] } }
        let h = Tensor(uninitialized: [b, k])
        for r in 0..<b { (h.data + r * k).update(from: b1.data, count: k) }
        BLAS.gemmNT(m: b, n: k, k: d, a: z.data, lda: d, b: w1.data, ldb: d, c: h.data, ldc: k, beta: 1)
        for e in 0..<h.count { h.data[e] = tanhf(h.data[e]) }
        let y = Tensor(uninitialized: [b, o])
        for r in 0..<b { (y.data + r * o).update(from: b2.data, count: o) }
        BLAS.gemmNT(m: b, n: o, k: k, a: h.data, lda: k, b: w2.data, ldb: k, c: y.data, ldc: o, beta: 1)
        return (z, h, y)
    }

    /// The training loss of predictions Y against targets T (both [B, O]) and, if asked, dLoss/dY.
    static func loss(y: Tensor, t: Tensor, layers: Int, settings: Training, gradient: Tensor?) -> Double {
        let b = y.shape[0], o = y.shape[1], d = o / layers
        var total = 0.0
        let inv = 1 / Float(b * o)
        for r in 0..<b {
            let yr = y.data + r * o, tr = t.data + r * o
            for e in 0..<o {
                let diff = yr[e] - tr[e]
                total += Double(diff * diff) / Double(b * o)
                if settings.l1 > 0 { total += Double(settings.l1 * abs(yr[e])) / Double(b * o) }
                gradient?.data[r * o + e] = 2 * diff * inv + (settings.l1 > 0 ? settings.l1 * (yr[e] > 0 ? 1 : (yr[e] < 0 ? -1 : 0)) * inv : 0)
            }
            guard settings.cosine > 0 else { continue }
            for l in 0..<layers {
                let yl = yr + l * d, tl = tr + l * d
                var dot: Float = 0, yy: Float = 0, tt: Float = 0
                for j in 0..<d { dot += yl[j] * tl[j]; yy += yl[j] * yl[j]; tt += tl[j] * tl[j] }
                let ny = max(yy.squareRoot(), 1e-12), nt = max(tt.squareRoot(), 1e-12)
                let c = dot / (ny * nt)
                let w = settings.cosine / Float(b * layers)
                total += Double(w * (1 - c))
                if let g = gradient {
                    for j in 0..<d { g.data[r * o + l * d + j] -= w * (tl[j] / (ny * nt) - c * yl[j] / (ny * ny)) }
                }
            }
        }
        return total
    }

    /// Trains on examples (feature [D], target [D·|window|], item id); the validation set is
    /// a seeded share of the items, so an item's two orders are never split.
    public static func train(kind: Kind, modelName: String, window: ClosedRange<Int>, inputLayer: Int,
                             features: [[Float]], targets: [[Float]], items: [String],
                             settings: Training = Training()) throws -> (SteeringNetwork, TrainingReport) {
        let what = "the \(kind.rawValue) network"
        guard features.count == targets.count, features.count == items.count else {
            throw AMPSError.invalidInput("\(what): features, targets and items differ in number")
        }
        let distinct = Array(Set(items)).sorted()
        guard distinct.count >= 4 else { throw AMPSError.invalidInput("\(what) needs at least 4 instances to train on (got \(distinct.count))") }
        guard settings.hidden >= 1, settings.epochs >= 1, settings.batchSize >= 1, settings.patience >= 1,
              settings.learningRate.isFinite, settings.learningRate > 0, settings.l1.isFinite, settings.l1 >= 0,
              settings.cosine.isFinite, settings.cosine >= 0, settings.validationShare > 0, settings.validationShare < 1 else {
            throw AMPSError.invalidInput("\(what): hidden, epochs, batch and patience must be >= 1, the learning rate > 0, l1 and cosine >= 0")
        }
        let d = features[0].count, o = d * window.count
        guard features.allSatisfy({ $0.count == d }), targets.allSatisfy({ $0.count == o }) else {
            throw AMPSError.invalidInput("\(what): every feature must have \(d) values and every target \(o) (D x |window|)")
        }
        guard targets.allSatisfy({ $0.allSatisfy(\.isFinite) }), features.allSatisfy({ $0.allSatisfy(\.isFinite) }) else {
            throw AMPSError.numerical("\(what): training data contain NaN or infinity")
        }
        let spread = (0..<o).map { e in targets.map { $0[e] }.max()! - targets.map { $0[e] }.min()! }.max()!
        let scale = targets.flatMap { $0 }.map(abs).max()!
        guard spread > 1e-6 * max(scale, 1e-12) else {
            throw AMPSError.invalidInput("\(what): the target is the same for every instance (nothing depends on the input to learn)")
        }
        var rng = NoiseGenerator(seed: settings.seed)
        var shuffledItems = distinct
        for i in stride(from: shuffledItems.count - 1, to: 0, by: -1) { shuffledItems.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
        let nVal = max(1, Int((Double(distinct.count) * settings.validationShare).rounded()))
        let valItems = Set(shuffledItems.prefix(nVal))
        let val = items.indices.filter { valItems.contains(items[$0]) }, tr = items.indices.filter { !valItems.contains(items[$0]) }
        // Standardization and the output bias's start (the mean target: uniform steering
        // with the split's mean vector) come from the training part only.
        var mean = [Float](repeating: 0, count: d), std = [Float](repeating: 0, count: d), tMean = [Float](repeating: 0, count: o)
        for i in tr { for j in 0..<d { mean[j] += features[i][j] }; for e in 0..<o { tMean[e] += targets[i][e] } }
        for j in 0..<d { mean[j] /= Float(tr.count) }
        for e in 0..<o { tMean[e] /= Float(tr.count) }
        for i in tr { for j in 0..<d { let c = features[i][j] - mean[j]; std[j] += c * c } }
        for j in 0..<d { std[j] = max((std[j] / Float(tr.count)).squareRoot(), 1e-6) }
        let k = settings.hidden
        var net = SteeringNetwork(kind: kind, modelName: modelName, window: window, inputLayer: inputLayer,
                                  w1: Tensor(zeros: [k, d]), b1: Tensor(zeros: [k]), w2: Tensor(zeros: [o, k]),
                                  b2: Tensor(shape: [o], values: tMean), mean: Tensor(shape: [d], values: mean),
                                  std: Tensor(shape: [d], values: std))
        let s1 = 1 / Float(d).squareRoot(), s2 = 1 / Float(k).squareRoot()
        for i in 0..<net.w1.count { net.w1.data[i] = Float(rng.gaussian()) * s1 }
        for i in 0..<net.w2.count { net.w2.data[i] = Float(rng.gaussian()) * s2 * 0.01 }

        func batch(_ idx: [Int]) -> (Tensor, Tensor) {
            (Tensor(shape: [idx.count, d], values: idx.flatMap { features[$0] }), Tensor(shape: [idx.count, o], values: idx.flatMap { targets[$0] }))
        }
        let (trX, trT) = batch(tr), (vaX, vaT) = batch(val)
        func evaluate(_ x: Tensor, _ t: Tensor) -> Double { loss(y: net.forward(x).y, t: t, layers: window.count, settings: settings, gradient: nil) }

        let params = [net.w1, net.b1, net.w2, net.b2]
        var adam = AdamOptimizer(parameters: params, learningRate: settings.learningRate)
        let grads = params.map { Tensor(zeros: $0.shape) }
        let initial = evaluate(vaX, vaT)
        var report = TrainingReport(epochs: [(0, evaluate(trX, trT), initial)], bestEpoch: 0, trainCount: tr.count,
                                    validationCount: val.count, initialValidation: initial, bestValidation: initial)
        var best = params.map { $0.copy() }
        var order = tr
        for epoch in 1...settings.epochs {
            for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
            for start in stride(from: 0, to: order.count, by: settings.batchSize) {
                let idx = Array(order[start..<min(start + settings.batchSize, order.count)])
                let (x, t) = batch(idx)
                let b = idx.count
                let (z, h, y) = net.forward(x)
                let dy = Tensor(zeros: [b, o])
                _ = loss(y: y, t: t, layers: window.count, settings: settings, gradient: dy)
                // dW2 [O,K] = dY^T H; db2 = sum_b dY; dH = dY W2; dPre = dH (1 - H^2); dW1 = dPre^T Z.
                BLAS.gemmTN(m: o, n: k, k: b, a: dy.data, lda: o, b: h.data, ldb: k, c: grads[2].data, ldc: k)
                grads[3].fill(0)
                for r in 0..<b { for e in 0..<o { grads[3].data[e] += dy.data[r * o + e] } }
                let dh = Tensor(uninitialized: [b, k])
                BLAS.gemmNN(m: b, n: k, k: o, a: dy.data, lda: o, b: net.w2.data, ldb: k, c: dh.data, ldc: k)
                for e in 0..<dh.count { dh.data[e] *= 1 - h.data[e] * h.data[e] }
                BLAS.gemmTN(m: k, n: d, k: b, a: dh.data, lda: k, b: z.data, ldb: d, c: grads[0].data, ldc: d)
                grads[1].fill(0)
                for r in 0..<b { for j in 0..<k { grads[1].data[j] += dh.data[r * k + j] } }
                adam.update(gradients: grads)
            }
            let v = evaluate(vaX, vaT)
            guard v.isFinite else { throw AMPSError.numerical("\(what): training diverged (validation loss is not finite)") }
            report.epochs.append((epoch, evaluate(trX, trT), v))
            if v < report.bestValidation {
                report.bestValidation = v; report.bestEpoch = epoch
                for (p, q) in zip(best, params) { p.data.update(from: q.data, count: q.count) }
            } else if epoch - report.bestEpoch >= settings.patience {
                break
            }
        }
        for (p, q) in zip(params, best) { p.data.update(from: q.data, count: q.count) }
        net.metadata = ["train_count": "\(tr.count)", "validation_count": "\(val.count)", "best_epoch": "\(report.bestEpoch)",
                        "validation_loss": String(format: "%.6g", report.bestValidation),
                        "initial_validation_loss": String(format: "%.6g", report.initialValidation)]
        return (net, report)
    }

    public func save(path: String) throws {
        var md = metadata
        md["kind"] = "amps-steering-network"; md["mode"] = kind.rawValue; md["model"] = modelName; md["toward"] = toward.rawValue
        md["window"] = "\(window.lowerBound)-\(window.upperBound)"; md["input_layer"] = "\(inputLayer)"
        md["hidden"] = "\(hidden)"; md["hidden_size"] = "\(inputSize)"
        md["architecture"] = "Linear(D->K) -> tanh -> Linear(K->D*|window|) on standardized h_input_layer(last token, plain prompt)"
        try SafeTensorsWriter.write(["w1": w1, "b1": b1, "w2": w2, "b2": b2, "mean": mean, "std": std], metadata: md, to: path)
    }

    /// Loads a network and checks it was trained for this model, this window and this mode.
    public static func load(path: String, kind: Kind, for model: any ModelEngine, window: ClosedRange<Int>) throws -> SteeringNetwork {
        let f = try SafeTensorsFile(path: path)
        guard f.metadata["kind"] == "amps-steering-network" else { throw AMPSError.file(path, "is not an amps steering-network file") }
        guard f.metadata["mode"] == kind.rawValue else {
            throw AMPSError.file(path, "is a \(f.metadata["mode"] ?? "?") network, not \(kind.rawValue)")
        }
        guard f.metadata["model"] == model.name else {
            throw AMPSError.file(path, "was trained for model '\(f.metadata["model"] ?? "?")', not '\(model.name)'")
        }
        let w = "\(window.lowerBound)-\(window.upperBound)"
        guard f.metadata["window"] == w else { throw AMPSError.file(path, "was trained for window \(f.metadata["window"] ?? "?"), not \(w)") }
        guard let layer = Int(f.metadata["input_layer"] ?? ""), layer >= 0, layer < model.layerCount else {
            throw AMPSError.file(path, "input_layer is missing or outside the model's \(model.layerCount) layers")
        }
        let d = model.hiddenSize, o = d * window.count
        let w1 = try f.tensor("w1").copy()
        guard w1.shape.count == 2, w1.shape[1] == d else { throw AMPSError.file(path, "expects hidden size \(w1.shape.last ?? 0) but the model has \(d)") }
        let k = w1.shape[0]
        var net = SteeringNetwork(kind: kind, modelName: model.name, window: window, inputLayer: layer, w1: w1,
                                  b1: try f.tensor("b1", shape: [k]).copy(), w2: try f.tensor("w2", shape: [o, k]).copy(),
                                  b2: try f.tensor("b2", shape: [o]).copy(), mean: try f.tensor("mean", shape: [d]).copy(),
                                  std: try f.tensor("std", shape: [d]).copy())
        net.metadata = f.metadata
        net.toward = SteeringDirection(rawValue: f.metadata["toward"] ?? "vision") ?? .vision
        guard [net.w1, net.b1, net.w2, net.b2, net.mean, net.std].allSatisfy(\.allFinite) else {
            throw AMPSError.file(path, "holds NaN or infinite weights")
        }
        return net
    }
}

extension SteeringNetwork {
    /// Training examples from a split's conflict instances: per option order, the plain
    /// prompt's input feature, and the instance's target z_i (both orders share it) over
    /// the window, concatenated layer by layer. `scale` maps (instance, order) to the
    /// factor multiplying z_i (1 for L2S, 1 + gamma_i for amps-learned).
    public struct Examples {
        public var features: [[Float]] = []
        public var targets: [[Float]] = []
        public var items: [String] = []
        public var orders: [OptionOrder] = []
        /// The unscaled z_i, per example.
        public var baseTargets: [[Float]] = []
    }

    public static func examples(model: any ModelEngine, template: PromptTemplate, instances: [Instance], window: ClosedRange<Int>,
                                inputLayer: Int, progress: (Int, Int) -> Void = { _, _ in }) throws -> Examples {
        guard inputLayer >= 0, inputLayer < model.layerCount else {
            throw AMPSError.invalidInput("the input layer \(inputLayer) is outside the model's layers 0-\(model.layerCount - 1)")
        }
        var out = Examples()
        let used = instances.filter(\.isConflict)
        for (n, inst) in used.enumerated() {
            let z = try SteeringTarget.compute(model: model, template: template, instance: inst, layers: Array(window))
            let flat = z.vectors.flatMap { $0.map(Float.init) }
            for o in OptionOrder.allCases {
                let probe = try Probe(model: model, template: template, instance: inst, order: o, instruction: .none)
                out.features.append(try input(model: model, pass: try model.run(probe.input, steering: nil), layer: inputLayer))
                out.targets.append(flat); out.baseTargets.append(flat)
                out.items.append(inst.id); out.orders.append(o)
            }
            progress(n + 1, used.count)
        }
        return out
    }
}
