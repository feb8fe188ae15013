import AMPSCore
import AMPSModel
import Foundation

/// A small network that predicts the steering factor (1 + gamma) from the hidden state of
/// the prompt's last token at one layer, so inference needs no Monte Carlo passes:
/// Linear(D -> K) -> tanh -> Linear(K -> 1), inputs standardized.
public struct LearnedScaler: @unchecked Sendable {
    public var layer: Int
    public var w1: Tensor   // [K, D]
    public var b1: Tensor   // [K]
    public var w2: Tensor   // [1, K]
    public var b2: Tensor   // [1]
    public var mean: Tensor // [D]
    public var std: Tensor  // [D]
    public var hidden: Int { w1.shape[0] }
    public var inputSize: Int { w1.shape[1] }

    public struct TrainingReport: Sendable {
        public var epochs: [(epoch: Int, train: Double, validation: Double)]
        public var trainCount: Int
        public var validationCount: Int
    }

    /// The prediction for one feature vector [D].
    public func predict(_ h: UnsafePointer<Float>) -> Double {
        let d = inputSize, k = hidden
        var z = [Float](repeating: 0, count: d)
        for j in 0..<d { z[j] = (h[j] - mean[j]) / std[j] }
        var out = Double(b2[0])
        for i in 0..<k {
            var a = b1[i]
            let row = w1.data + i * d
            for j in 0..<d { a += row[j] * z[j] }
            out += Double(w2[i] * tanhf(a))
        }
        return out
    }

    /// Trains with Adam on MSE; 20% of the examples (a seeded shuffle) are held out.
    public static func train(features: [[Float]], targets: [Double], layer: Int, hidden k: Int = 64,
                             epochs: Int = 200, learningRate: Float = 3e-3, batchSize: Int = 32, seed: UInt64 = 0) throws -> (LearnedScaler, TrainingReport) {
        guard features.count >= 5, features.count == targets.count else {
            throw AMPSError.invalidInput("the learned scaler needs at least 5 examples (got \(features.count))")
        }
        guard targets.allSatisfy(\.isFinite) else { throw AMPSError.numerical("learned-scaler targets contain NaN or infinity") }
        let d = features[0].count
        var rng = NoiseGenerator(seed: seed)
        var order = Array(features.indices)
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
        let nVal = max(1, features.count / 5)
        let val = Array(order.prefix(nVal)), tr = Array(order.dropFirst(nVal))
        // standardization from the training part only
        var mean = [Float](repeating: 0, count: d), std = [Float](repeating: 0, count: d)
        for i in tr { for j in 0..<d { mean[j] += features[i][j] } }
        for j in 0..<d { mean[j] /= Float(tr.count) }
        for i in tr { for j in 0..<d { let c = features[i][j] - mean[j]; std[j] += c * c } }
        for j in 0..<d { std[j] = max((std[j] / Float(tr.count)).squareRoot(), 1e-6) }
        var s = LearnedScaler(layer: layer, w1: Tensor(zeros: [k, d]), b1: Tensor(zeros: [k]), w2: Tensor(zeros: [1, k]),
                              b2: Tensor(shape: [1], values: [Float(targets.reduce(0, +) / Double(targets.count))]),
                              mean: Tensor(shape: [d], values: mean), std: Tensor(shape: [d], values: std))
        let scale1 = 1 / Float(d).squareRoot(), scale2 = 1 / Float(k).squareRoot()
        for i in 0..<s.w1.count { s.w1.data[i] = Float(rng.gaussian()) * scale1 }
        for i in 0..<k { s.w2.data[i] = Float(rng.gaussian()) * scale2 * 0.1 }
        let params = [s.w1, s.b1, s.w2, s.b2]
        var adam = AdamOptimizer(parameters: params, learningRate: learningRate)
        let grads = params.map { Tensor(zeros: $0.shape) }
        var report = TrainingReport(epochs: [], trainCount: tr.count, validationCount: val.count)
        func loss(_ idx: [Int]) -> Double {
            idx.map { i -> Double in
                let p = features[i].withUnsafeBufferPointer { s.predict($0.baseAddress!) }
                return (p - targets[i]) * (p - targets[i])
            }.reduce(0, +) / Double(idx.count)
        }
        var z = [Float](repeating: 0, count: d), a = [Float](repeating: 0, count: k)
        for epoch in 1...epochs {
            var shuffled = tr
            for i in stride(from: shuffled.count - 1, to: 0, by: -1) { shuffled.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
            for start in stride(from: 0, to: shuffled.count, by: batchSize) {
                let batch = shuffled[start..<min(start + batchSize, shuffled.count)]
                for g in grads { g.fill(0) }
                for i in batch {
                    for j in 0..<d { z[j] = (features[i][j] - mean[j]) / std[j] }
                    var out = s.b2[0]
                    for h in 0..<k {
                        var acc = s.b1[h]
                        let row = s.w1.data + h * d
                        for j in 0..<d { acc += row[j] * z[j] }
                        a[h] = tanhf(acc)
                        out += s.w2[h] * a[h]
                    }
                    let dOut = 2 * (out - Float(targets[i])) / Float(batch.count)
                    grads[3][0] += dOut
                    for h in 0..<k {
                        grads[2][h] += dOut * a[h]
                        let dPre = dOut * s.w2[h] * (1 - a[h] * a[h])
                        grads[1][h] += dPre
                        let grow = grads[0].data + h * d
                        for j in 0..<d { grow[j] += dPre * z[j] }
                    }
                }
                adam.update(gradients: grads)
            }
            if epoch == 1 || epoch % max(1, epochs / 20) == 0 || epoch == epochs {
                report.epochs.append((epoch, loss(tr), loss(val)))
            }
        }
        guard [s.w1, s.b1, s.w2, s.b2].allSatisfy(\.allFinite) else { throw AMPSError.numerical("learned scaler training diverged (NaN weights)") }
        return (s, report)
    }

    public func save(path: String, metadata: [String: String] = [:]) throws {
        var md = metadata
        md["kind"] = "amps-learned-scaler"; md["layer"] = "\(layer)"; md["hidden_size"] = "\(inputSize)"
        md["architecture"] = "Linear(D->K) -> tanh -> Linear(K->1) on standardized h_layer(last prompt token)"
        try SafeTensorsWriter.write(["w1": w1, "b1": b1, "w2": w2, "b2": b2, "mean": mean, "std": std], metadata: md, to: path)
    }

    public static func load(path: String, for model: any ModelEngine) throws -> LearnedScaler {
        let f = try SafeTensorsFile(path: path)
        guard f.metadata["kind"] == "amps-learned-scaler" else { throw AMPSError.file(path, "is not an amps learned-scaler file") }
        let layer = Int(f.metadata["layer"] ?? "") ?? -1
        guard layer >= 0, layer < model.layerCount else { throw AMPSError.file(path, "layer \(layer) is outside the model's \(model.layerCount) layers") }
        let w1 = try f.tensor("w1").copy()
        guard w1.shape.count == 2, w1.shape[1] == model.hiddenSize else {
            throw AMPSError.file(path, "expects hidden size \(w1.shape.last ?? 0) but the model has \(model.hiddenSize)")
        }
        let k = w1.shape[0]
        guard k >= 1 else { throw AMPSError.file(path, "tensor 'w1' has no hidden units") }
        let s = LearnedScaler(layer: layer, w1: w1, b1: try f.tensor("b1", shape: [k]).copy(), w2: try f.tensor("w2", shape: [1, k]).copy(),
                              b2: try f.tensor("b2", shape: [1]).copy(), mean: try f.tensor("mean", shape: [model.hiddenSize]).copy(),
                              std: try f.tensor("std", shape: [model.hiddenSize]).copy())
        try s.checkValues(path: path)
        return s
    }

    /// A NaN weight makes every prediction NaN, which `max(0, ·)` turned into factor 0: the
    /// "learned" row then silently equalled "none". A zero or negative std divides by zero
    /// in the standardization. Both are refused at load, naming the tensor.
    func checkValues(path: String) throws {
        for (name, t) in [("w1", w1), ("b1", b1), ("w2", w2), ("b2", b2), ("mean", mean), ("std", std)] {
            if let i = (0..<t.count).first(where: { !t[$0].isFinite }) {
                throw AMPSError.file(path, "tensor '\(name)' has a non-finite value (\(t[i]) at element \(i))")
            }
        }
        // The trainer floors std at 1e-6; a smaller one is not from it and blows the input up.
        if let i = (0..<std.count).first(where: { !(std[$0] >= 1e-6) }) {
            throw AMPSError.file(path, "tensor 'std' must be positive (at least 1e-6), but element \(i) is \(std[i])")
        }
    }
}
