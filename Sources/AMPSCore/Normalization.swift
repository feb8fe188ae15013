import Foundation

/// out[M, D] = (x - mean) / sqrt(var + eps) * weight + bias, per row (PyTorch LayerNorm,
/// biased variance). `out` may alias `x`.
public func layerNorm(_ x: UnsafePointer<Float>, rows m: Int, dim d: Int,
                      weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, eps: Float,
                      into out: UnsafeMutablePointer<Float>) {
    for r in 0..<m {
        let xr = x + r * d, yr = out + r * d
        var mean: Float = 0
        for i in 0..<d { mean += xr[i] }
        mean /= Float(d)
        var variance: Float = 0
        for i in 0..<d { let c = xr[i] - mean; variance += c * c }
        variance /= Float(d)
        let inv = 1 / (variance + eps).squareRoot()
        if let bias {
            for i in 0..<d { yr[i] = (xr[i] - mean) * inv * weight[i] + bias[i] }
        } else {
            for i in 0..<d { yr[i] = (xr[i] - mean) * inv * weight[i] }
        }
    }
}

/// out[M, D] = x / sqrt(mean(x^2) + eps) * weight, per row (Llama RMSNorm: the mean is
/// taken in float32 and the weight applied after). `out` may alias `x`.
public func rmsNorm(_ x: UnsafePointer<Float>, rows m: Int, dim d: Int,
                    weight: UnsafePointer<Float>, eps: Float, into out: UnsafeMutablePointer<Float>) {
    for r in 0..<m {
        let xr = x + r * d, yr = out + r * d
        let inv = 1 / (sumOfSquares(xr, count: d) / Float(d) + eps).squareRoot()
        for i in 0..<d { yr[i] = weight[i] * (xr[i] * inv) }
    }
}
