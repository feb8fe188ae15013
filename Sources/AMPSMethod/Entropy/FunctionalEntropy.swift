import AMPSCore
import Foundation

/// Functional entropy of a non-negative function under a measure, estimated by Monte
/// Carlo: Ent(f) = E[f log f] - E[f] log E[f], with sample means in place of
/// expectations. It is >= 0 (Jensen) and 0 iff f is constant over the samples.
public struct FunctionalEntropy: Sendable, Equatable {
    public let value: Double
    /// Delta-method standard error of `value` over the N samples.
    public let standardError: Double
    public let samples: Int
    public let meanF: Double

    /// - Parameter f: N >= 2 non-negative, finite values f_1..f_N.
    public init(samples f: [Double]) throws {
        guard f.count >= 2 else { throw AMPSError.invalidInput("functional entropy needs at least 2 samples (got \(f.count))") }
        guard f.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
            throw AMPSError.numerical("functional entropy: a sample of f is negative, NaN or infinite")
        }
        let n = Double(f.count)
        let flogf = f.map { $0 > 0 ? $0 * log($0) : 0 }
        let a = flogf.reduce(0, +) / n
        let b = f.reduce(0, +) / n
        let logb = b > 0 ? log(b) : 0
        value = max(0, a - b * logb)
        // Var(Ent) ≈ (1/N) Var(flogf - (log b + 1) f): gradient of a - b log b is (1, -(log b + 1)).
        let g = logb + 1
        let z = zip(flogf, f).map { $0 - g * $1 }
        let zm = z.reduce(0, +) / n
        let variance = z.map { ($0 - zm) * ($0 - zm) }.reduce(0, +) / (n - 1)
        standardError = (variance / n).squareRoot()
        samples = f.count
        meanF = b
    }
}

/// The function of the perturbed output whose entropy is measured.
public enum Functional: String, Sendable, CaseIterable {
    /// H(p_clean, p_perturbed) = -Σ p_clean log p_perturbed over (vision, text, other)
    case crossEntropy = "ce"
    /// KL(p_clean || p_perturbed)
    case kl
    /// p_perturbed of the clean argmax answer class
    case cleanAnswerProbability = "p-clean"

    public func evaluate(clean: [Double], perturbed: [Double]) -> Double {
        let eps = 1e-12
        switch self {
        case .crossEntropy:
            return zip(clean, perturbed).map { -$0 * log(max($1, eps)) }.reduce(0, +)
        case .kl:
            return max(0, zip(clean, perturbed).map { $0 > 0 ? $0 * (log($0) - log(max($1, eps))) : 0 }.reduce(0, +))
        case .cleanAnswerProbability:
            let k = clean.indices.max { clean[$0] < clean[$1] }!
            return perturbed[k]
        }
    }
}
