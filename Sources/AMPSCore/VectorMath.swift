/// exp over 8 lanes at once: range reduction x = k ln2 + r, |r| <= ln2/2, then a degree-7
/// Taylor polynomial for e^r (relative error below 2e-7, like expf), and 2^k through the
/// exponent bits. The element-wise passes (softmax, SiLU) spend most of their time in exp.
@inline(__always)
public func exp8(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let clamped = pointwiseMin(pointwiseMax(x, SIMD8(repeating: -87.0)), SIMD8(repeating: 88.0))
    // Round to nearest with the 1.5·2^23 trick: the integer lands in the low mantissa bits
    // (generic SIMD rounding and float→int conversions are not vectorised by the compiler).
    let magic = SIMD8<Float>(repeating: 12582912.0)
    let t = clamped * 1.44269504088896341 + magic
    let k = t - magic
    let ki = unsafeBitCast(t, to: SIMD8<Int32>.self) &- 0x4B40_0000
    let r = clamped - k * 0.693359375 + k * 2.12194440e-4
    var p = SIMD8<Float>(repeating: 1.0 / 5040)
    p = p * r + 1.0 / 720
    p = p * r + 1.0 / 120
    p = p * r + 1.0 / 24
    p = p * r + 1.0 / 6
    p = p * r + 0.5
    p = p * r + 1
    p = p * r + 1
    return p * unsafeBitCast((ki &+ 127) &<< 23, to: SIMD8<Float>.self)
}

/// x[i] = exp(x[i] - shift) for i < n; returns the sum.
@inline(__always)
public func expShiftSum(_ x: UnsafeMutablePointer<Float>, count n: Int, shift: Float) -> Float {
    var acc = SIMD8<Float>(repeating: 0)
    var i = 0
    let s = SIMD8<Float>(repeating: shift)
    while i + 8 <= n {
        let raw = UnsafeMutableRawPointer(x + i)
        let e = exp8(raw.loadUnaligned(as: SIMD8<Float>.self) - s)
        raw.storeBytes(of: e, as: SIMD8<Float>.self)
        acc += e
        i += 8
    }
    var sum = acc.sum()
    while i < n { let e = expf(x[i] - shift); x[i] = e; sum += e; i += 1 }
    return sum
}

#if canImport(Glibc)
import Glibc
#endif

/// The largest of x[0..<n] (n >= 1).
@inline(__always)
public func maxElement(_ x: UnsafePointer<Float>, count n: Int) -> Float {
    var i = 0
    var best = -Float.infinity
    if n >= 8 {
        var acc = UnsafeRawPointer(x).loadUnaligned(as: SIMD8<Float>.self)
        i = 8
        while i + 8 <= n {
            acc = pointwiseMax(acc, UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self))
            i += 8
        }
        best = acc.max()
    }
    while i < n { if x[i] > best { best = x[i] }; i += 1 }
    return best
}

/// x[i] *= s for i < n.
@inline(__always)
public func multiply(_ x: UnsafeMutablePointer<Float>, count n: Int, by s: Float) {
    var i = 0
    while i + 8 <= n {
        let raw = UnsafeMutableRawPointer(x + i)
        raw.storeBytes(of: raw.loadUnaligned(as: SIMD8<Float>.self) * s, as: SIMD8<Float>.self)
        i += 8
    }
    while i < n { x[i] *= s; i += 1 }
}

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
