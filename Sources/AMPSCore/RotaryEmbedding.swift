import Foundation

/// Rotary position embedding in Hugging Face's "rotate_half" layout: for each head the
/// first and second halves of the head dimension form the (x1, x2) pairs.
///
/// cos/sin are tabulated per position (grown on demand) so the layer loop computes no
/// trigonometry; the table is shared by every layer.
public final class RotaryEmbedding: @unchecked Sendable {
    public let headDim: Int
    public let theta: Double
    let invFreq: [Float]  // [headDim/2]
    private var cosTable: [Float] = []  // [positions, headDim/2]
    private var sinTable: [Float] = []
    private var tabulated = 0
    private let lock = NSLock()

    public init(headDim: Int, theta: Double) {
        self.headDim = headDim
        self.theta = theta
        // transformers computes inv_freq in float32 from an int64 arange
        invFreq = (0..<(headDim / 2)).map { i in
            Float(1.0 / pow(theta, Double(2 * i) / Double(headDim)))
        }
    }

    private func ensure(_ positions: Int) {
        lock.lock(); defer { lock.unlock() }
        guard positions > tabulated else { return }
        let half = headDim / 2
        let target = max(positions, tabulated * 2, 256)
        cosTable.reserveCapacity(target * half); sinTable.reserveCapacity(target * half)
        for p in tabulated..<target {
            for i in 0..<half {
                // float32 product, as torch does (freqs = pos * inv_freq in f32)
                let f = Float(p) * invFreq[i]
                cosTable.append(Float(cos(Double(f)))); sinTable.append(Float(sin(Double(f))))
            }
        }
        tabulated = target
    }

    /// Rotates x[rows, heads*headDim] in place. The rows are a batch of sequences of
    /// `batchRows` rows each; row r of a sequence sits at absolute position firstPosition + r.
    public func apply(_ x: UnsafeMutablePointer<Float>, rows t: Int, heads: Int, ld: Int, firstPosition: Int, batchRows: Int? = nil) {
        let per = batchRows ?? t
        let half = headDim / 2
        ensure(firstPosition + per)
        cosTable.withUnsafeBufferPointer { cosb in
            sinTable.withUnsafeBufferPointer { sinb in
                for r in 0..<t {
                    let pos = firstPosition + r % per
                    let c = cosb.baseAddress! + pos * half, s = sinb.baseAddress! + pos * half
                    for h in 0..<heads {
                        let p = x + r * ld + h * headDim
                        for i in 0..<half {
                            let x1 = p[i], x2 = p[i + half]
                            p[i] = x1 * c[i] - x2 * s[i]
                            p[i + half] = x2 * c[i] + x1 * s[i]
                        }
                    }
                }
            }
        }
    }
}
