/// A PyTorch `nn.Linear`: weight [out, in], optional bias [out].
public struct Linear: @unchecked Sendable {
    public let weight: Tensor
    public let bias: Tensor?
    public var inFeatures: Int { weight.shape[1] }
    public var outFeatures: Int { weight.shape[0] }

    public init(weight: Tensor, bias: Tensor?) {
        precondition(weight.shape.count == 2)
        self.weight = weight
        self.bias = bias
    }

    /// y[M, out] = x[M, in] · W^T + b
    public func callAsFunction(_ x: UnsafePointer<Float>, rows m: Int, into y: UnsafeMutablePointer<Float>,
                               accumulate: Bool = false) {
        let n = outFeatures, k = inFeatures
        if let bias, !accumulate {
            for r in 0..<m { (y + r * n).update(from: bias.data, count: n) }
            BLAS.gemmNT(m: m, n: n, k: k, a: x, lda: k, b: weight.data, ldb: k, c: y, ldc: n, beta: 1)
        } else {
            BLAS.gemmNT(m: m, n: n, k: k, a: x, lda: k, b: weight.data, ldb: k, c: y, ldc: n,
                        beta: accumulate ? 1 : 0)
            if let bias, accumulate {
                for r in 0..<m { addVector(bias.data, into: y + r * n, count: n) }
            }
        }
    }
}

/// y[i] += x[i] * scale for i < count.
@inline(__always)
public func addVector(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int, scale: Float = 1) {
    if scale == 1 {
        for i in 0..<count { y[i] += x[i] }
    } else {
        for i in 0..<count { y[i] += x[i] * scale }
    }
}
