import AMPSCore
import AMPSModel
import Foundation

/// Per-layer steering directions u_l: the mean, over a calibration split, of the residual
/// after layer l with the "follow the image" instruction minus with the "follow the text"
/// instruction, at one prompt position.
public struct SteeringVectorSet: @unchecked Sendable {
    public var vectors: [Tensor]      // [L] x [D]
    public var count: Int             // prompts averaged
    public var modelName: String
    public var position: Int          // -1 = last prompt token, -2 = the one before

    public var layerCount: Int { vectors.count }
    public var hiddenSize: Int { vectors.first?.count ?? 0 }
    public func norm(_ l: Int) -> Double { Double((0..<vectors[l].count).map { vectors[l][$0] * vectors[l][$0] }.reduce(0, +)).squareRoot() }

    public static func compute(model: any ModelEngine, template: PromptTemplate, instances: [Instance], position: Int = -1,
                               progress: (Int, Int) -> Void = { _, _ in }) throws -> SteeringVectorSet {
        guard position == -1 || position == -2 else { throw AMPSError.invalidInput("steering position must be -1 or -2 (got \(position))") }
        let used = instances.filter(\.isConflict)
        guard !used.isEmpty else { throw AMPSError.invalidInput("no conflict instances to compute steering vectors from") }
        let L = model.layerCount, d = model.hiddenSize
        var sums = [[Double]](repeating: [Double](repeating: 0, count: d), count: L)
        for (k, inst) in used.enumerated() {
            let z = try SteeringTarget.compute(model: model, template: template, instance: inst, layers: Array(0..<L), position: position)
            for l in 0..<L { for j in 0..<d { sums[l][j] += z.vectors[l][j] } }
            progress(k + 1, used.count)
        }
        // Each instance's target is already the mean of its two orders: u_l = mean over instances.
        let n = used.count
        let vectors = sums.map { s in Tensor(shape: [d], values: s.map { Float($0 / Double(n)) }) }
        guard vectors.allSatisfy(\.allFinite) else { throw AMPSError.numerical("steering vectors contain NaN or infinity") }
        return SteeringVectorSet(vectors: vectors, count: n * OptionOrder.allCases.count, modelName: model.name, position: position)
    }

    public func save(path: String) throws {
        var tensors: [String: Tensor] = [:]
        for (l, v) in vectors.enumerated() { tensors["layer.\(l)"] = v }
        let norms = (0..<layerCount).map { String(format: "%.6g", norm($0)) }.joined(separator: ",")
        try SafeTensorsWriter.write(tensors, metadata: [
            "kind": "amps-steering-vectors", "model": modelName, "layers": "\(layerCount)", "hidden_size": "\(hiddenSize)",
            "position": "\(position)", "count": "\(count)", "norms": norms,
            "definition": "mean over prompts of h_l(follow-image instruction) - h_l(follow-text instruction)",
        ], to: path)
    }

    /// Loads vectors and checks they were made for a model of this shape.
    public static func load(path: String, for model: any ModelEngine) throws -> SteeringVectorSet {
        let f = try SafeTensorsFile(path: path)
        guard f.metadata["kind"] == "amps-steering-vectors" else { throw AMPSError.file(path, "is not an amps steering-vector file") }
        let L = Int(f.metadata["layers"] ?? "") ?? -1
        guard L == model.layerCount else {
            throw AMPSError.file(path, "has vectors for \(L) layers but the model has \(model.layerCount)")
        }
        let vectors = try (0..<L).map { l -> Tensor in
            guard let e = f.entries["layer.\(l)"], e.shape == [model.hiddenSize] else {
                throw AMPSError.file(path, "vector for layer \(l) does not have the model's hidden size \(model.hiddenSize)")
            }
            let v = try f.tensor("layer.\(l)").copy()
            // A NaN or infinity here becomes NaN logits at every steered pass.
            if let i = (0..<v.count).first(where: { !v[$0].isFinite }) {
                throw AMPSError.file(path, "vector 'layer.\(l)' has a non-finite value (\(v[i]) at element \(i))")
            }
            return v
        }
        let expected = Set((0..<L).map { "layer.\($0)" })
        if let extra = f.entries.keys.sorted().first(where: { !expected.contains($0) }) {
            throw AMPSError.file(path, "has a tensor \(String(extra.prefix(60)).debugDescription) besides the \(L) layers' vectors (made for another model?)")
        }
        return SteeringVectorSet(vectors: vectors, count: Int(f.metadata["count"] ?? "0") ?? 0,
                                 modelName: f.metadata["model"] ?? "?", position: Int(f.metadata["position"] ?? "-1") ?? -1)
    }

    /// The engine hook for this window with one scale per batch element.
    public func steering(window: ClosedRange<Int>, scales: [Float], lastTokenOnly: Bool = false, promptLength: Int = 0) -> Steering {
        var v: [Int: Tensor] = [:]
        for l in window where l < vectors.count { v[l] = vectors[l] }
        return Steering(vectors: v, scales: scales,
                        positions: lastTokenOnly ? .positions([promptLength - 1], generated: true) : .all)
    }
}
