import Foundation

/// Rotary position embedding in Hugging Face's "rotate_half" layout: for each head the
/// first and second halves of the head dimension form the (x1, x2) pairs.
public struct RotaryEmbedding: Sendable {
    public let headDim: Int
    public let theta: Double
    let invFreq: [Float]  // [headDim/2]

    public init(headDim: Int, theta: Double) {
        self.headDim = headDim
        self.theta = theta
        // transformers computes inv_freq in float32 from an int64 arange
        invFreq = (0..<(headDim / 2)).map { i in
            Float(1.0 / pow(theta, Double(2 * i) / Double(headDim)))
        }
    }

    /// Rotates x[rows, heads*headDim] in place. The rows are a batch of sequences of
    /// `batchRows` rows each; row r of a sequence sits at absolute position firstPosition + r.
    public func apply(_ x: UnsafeMutablePointer<Float>, rows t: Int, heads: Int, ld: Int, firstPosition: Int, batchRows: Int? = nil) {
        let per = batchRows ?? t
        let half = headDim / 2
        var cosv = [Float](repeating: 0, count: half), sinv = [Float](repeating: 0, count: half)
        for r in 0..<t {
            let pos = Float(firstPosition + r % per)
            for i in 0..<half {
                // float32 product then cos/sin, as torch does (freqs = pos * inv_freq in f32)
                let f = pos * invFreq[i]
                cosv[i] = Float(cos(Double(f))); sinv[i] = Float(sin(Double(f)))
            }
            for h in 0..<heads {
                let p = x + r * ld + h * headDim
                for i in 0..<half {
                    let x1 = p[i], x2 = p[i + half]
                    p[i] = x1 * cosv[i] - x2 * sinv[i]
                    p[i + half] = x2 * cosv[i] + x1 * sinv[i]
                }
            }
        }
    }
}
