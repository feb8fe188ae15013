/// The sum of x[i]^2 for i < n, in eight lanes.
@inline(__always)
public func sumOfSquares(_ x: UnsafePointer<Float>, count n: Int) -> Float {
    var acc = SIMD8<Float>(repeating: 0)
    var i = 0
    while i + 8 <= n {
        let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
        acc += v * v
        i += 8
    }
    var s = acc.sum()
    while i < n { s += x[i] * x[i]; i += 1 }
    return s
}
