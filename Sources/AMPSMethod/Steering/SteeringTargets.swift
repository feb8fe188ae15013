import AMPSCore
import AMPSModel
import Foundation

/// Per-instance steering targets (the AMPS paper's Eq. 10, L2S's z): for instance i and
/// layer l, z_i,l = h_l(prompt_i with the "follow the image" instruction) -
/// h_l(prompt_i with the "follow the text" instruction), h_l the residual after layer l
/// at one prompt position, averaged over the two option orders. The steering vectors u_l
/// are their mean over a split.
public struct SteeringTarget: @unchecked Sendable {
    public var instance: String
    public var layers: [Int]
    /// One [D] vector per entry of `layers`.
    public var vectors: [[Double]]

    /// One instance's targets at `layers`; `position` -1 is the last prompt token, -2 the one before.
    public static func compute(model: any ModelEngine, template: PromptTemplate, instance inst: Instance, layers: [Int],
                               position: Int = -1) throws -> SteeringTarget {
        guard position == -1 || position == -2 else { throw AMPSError.invalidInput("steering position must be -1 or -2 (got \(position))") }
        guard inst.isConflict else { throw AMPSError.invalidInput("instance \(inst.id): steering targets need a conflict instance") }
        guard layers.allSatisfy({ $0 >= 0 && $0 < model.layerCount }) else {
            throw AMPSError.invalidInput("steering target layers \(layers) are outside the model's layers 0-\(model.layerCount - 1)")
        }
        let d = model.hiddenSize
        var sums = [[Double]](repeating: [Double](repeating: 0, count: d), count: layers.count)
        for order in OptionOrder.allCases {
            let pv = try model.run(try Probe(model: model, template: template, instance: inst, order: order, instruction: .vision).input, steering: nil)
            let pt = try model.run(try Probe(model: model, template: template, instance: inst, order: order, instruction: .text).input, steering: nil)
            let hv = try model.residuals(pv, layers: layers, position: position), ht = try model.residuals(pt, layers: layers, position: position)
            for (k, l) in layers.enumerated() {
                let a = hv[l]!, b = ht[l]!
                for j in 0..<d { sums[k][j] += Double(a[j] - b[j]) }
            }
        }
        let n = Double(OptionOrder.allCases.count)
        let vectors = sums.map { $0.map { $0 / n } }
        guard vectors.allSatisfy({ $0.allSatisfy(\.isFinite) }) else {
            throw AMPSError.numerical("instance \(inst.id): steering targets contain NaN or infinity")
        }
        return SteeringTarget(instance: inst.id, layers: layers, vectors: vectors)
    }
}
