import Foundation

/// x[M, N] = softmax over each row, in place, max-subtracted for stability.
public func softmaxRows(_ x: UnsafeMutablePointer<Float>, rows m: Int, cols n: Int, ld: Int? = nil) {
    let stride = ld ?? n
    for r in 0..<m {
        let xr = x + r * stride
        var mx = -Float.infinity
        for i in 0..<n where xr[i] > mx { mx = xr[i] }
        var sum: Float = 0
        for i in 0..<n { let e = expf(xr[i] - mx); xr[i] = e; sum += e }
        let inv = 1 / sum
        for i in 0..<n { xr[i] *= inv }
    }
}

/// log-softmax of one row into `out` (double precision accumulation for entropy work).
public func logSoftmax(_ x: UnsafePointer<Float>, count n: Int) -> [Double] {
    var mx = -Double.infinity
    for i in 0..<n where Double(x[i]) > mx { mx = Double(x[i]) }
    var sum = 0.0
    for i in 0..<n { sum += exp(Double(x[i]) - mx) }
    let lse = mx + log(sum)
    return (0..<n).map { Double(x[$0]) - lse }
}
