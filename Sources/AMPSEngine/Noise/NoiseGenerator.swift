import AMPSCore
import Foundation

/// A small, fully specified generator (SplitMix64 seeding xoshiro256**, Box–Muller), so
/// the same seed gives the same noise on every machine and the PyTorch reference can be
/// handed exactly the samples the Swift side used.
public struct NoiseGenerator: Sendable {
    private var s: (UInt64, UInt64, UInt64, UInt64)
    private var spare: Double?

    public init(seed: UInt64) {
        var x = seed
        func splitmix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s = (splitmix(), splitmix(), splitmix(), splitmix())
    }

    /// A seed for one (instance, layer, modality, tensor) cell, stable across runs.
    public static func seed(_ base: UInt64, _ parts: String...) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325 ^ base
        for p in parts { for byte in (p + "|").utf8 { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 } }
        return h
    }

    private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    public mutating func next() -> UInt64 {
        let result = NoiseGenerator.rotl(s.1 &* 5, 7) &* 9
        let t = s.1 << 17
        s.2 ^= s.0; s.3 ^= s.1; s.1 ^= s.2; s.0 ^= s.3
        s.2 ^= t
        s.3 = NoiseGenerator.rotl(s.3, 45)
        return result
    }

    /// Uniform in (0, 1).
    public mutating func uniform() -> Double { (Double(next() >> 11) + 0.5) / 9_007_199_254_740_992.0 }

    /// Standard normal.
    public mutating func gaussian() -> Double {
        if let v = spare { spare = nil; return v }
        let u1 = uniform(), u2 = uniform()
        let r = (-2 * log(u1)).squareRoot()
        spare = r * sin(2 * .pi * u2)
        return r * cos(2 * .pi * u2)
    }

    /// noise [N, P, F] with column f scaled by sigma[f].
    public mutating func noise(samples n: Int, positions p: Int, sigma: [Float]) -> Tensor {
        let f = sigma.count
        let t = Tensor(zeros: [n, p, f])
        for i in 0..<(n * p) {
            for j in 0..<f { t.data[i * f + j] = Float(gaussian()) * sigma[j] }
        }
        return t
    }
}

/// Per-feature standard deviation (population, ÷P) of rows `positions` of states [T, F].
public func featureStd(_ states: Tensor, positions: [Int]) -> [Float] {
    let f = states.shape.last!
    var mean = [Double](repeating: 0, count: f), sq = [Double](repeating: 0, count: f)
    for p in positions {
        let row = states.data + p * f
        for j in 0..<f { let v = Double(row[j]); mean[j] += v; sq[j] += v * v }
    }
    let n = Double(max(positions.count, 1))
    return (0..<f).map { j in
        let m = mean[j] / n
        return Float(max(0, sq[j] / n - m * m).squareRoot())
    }
}
