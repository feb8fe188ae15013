import AMPSCore
import Foundation

/// Adam (beta1 0.9, beta2 0.999, eps 1e-8, bias-corrected) over a list of parameter
/// tensors, updated in place: what the learned scaler and the steering networks train with.
public struct AdamOptimizer {
    public let parameters: [Tensor]
    public var learningRate: Float
    let m: [Tensor]
    let v: [Tensor]
    public private(set) var step = 0

    public init(parameters: [Tensor], learningRate: Float) {
        self.parameters = parameters; self.learningRate = learningRate
        m = parameters.map { Tensor(zeros: $0.shape) }
        v = parameters.map { Tensor(zeros: $0.shape) }
    }

    /// One step with `gradients` (same shapes as the parameters, in the same order).
    public mutating func update(gradients: [Tensor]) {
        step += 1
        let b1c = 1 - powf(0.9, Float(step)), b2c = 1 - powf(0.999, Float(step))
        for (pi, p) in parameters.enumerated() {
            let g = gradients[pi], mp = m[pi], vp = v[pi]
            for e in 0..<p.count {
                mp[e] = 0.9 * mp[e] + 0.1 * g[e]
                vp[e] = 0.999 * vp[e] + 0.001 * g[e] * g[e]
                p[e] -= learningRate * (mp[e] / b1c) / ((vp[e] / b2c).squareRoot() + 1e-8)
            }
        }
    }
}
