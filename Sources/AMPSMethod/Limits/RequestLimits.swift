import AMPSCore
import Foundation

/// The fixed bounds on the settings of a method request, from the command line or the
/// inspector alike; what a request would allocate is checked separately against the
/// memory this process can take (`MemoryBudget`). docs/RELIABILITY.md lists each with its
/// reason.
public enum RequestLimits {
    /// Monte Carlo samples per (layer, modality). The MCS standard error falls as 1/sqrt(N):
    /// at 100 000 it is a third of a per cent of the N = 1 value, far below any difference
    /// the map shows; each sample is a sequence of the batched pass.
    public static let samples = 2...100_000
    /// The noise scale: sigma = per-feature std times this. Beyond 1000 the perturbed states
    /// are noise alone and the logits overflow.
    public static let sigmaScale = 1e-6...1000.0
    /// |alpha|: steering adds alpha * u_l to the residual. The defaults stay within 4 and the
    /// answer collapses long before 10 000; beyond that the products overflow Float.
    public static let alphaMagnitude = 10_000.0
    /// Points of one alpha grid (the sensitivity curve, `amps eval --alphas`): each is a
    /// sequence of one batched pass.
    public static let gridPoints = 4097

    public static func checkAlpha(_ alpha: Double, _ name: String) throws {
        guard alpha.isFinite, abs(alpha) <= alphaMagnitude else {
            throw AMPSError.invalidInput("\(name) must be a finite number within ±\(Int(alphaMagnitude)) (got \(compact(alpha)))")
        }
    }

    public static func checkGrid(_ alphas: [Double], _ name: String) throws {
        guard !alphas.isEmpty, alphas.count <= gridPoints else {
            throw AMPSError.invalidInput("\(name) must have 1 to \(gridPoints) values (got \(alphas.count))")
        }
        for a in alphas { try checkAlpha(a, name) }
    }

    /// A number for a one-line message: short whatever its size ("1e+60", "nan", "0.25").
    public static func compact(_ v: Double) -> String {
        guard v.isFinite else { return v.isNaN ? "nan" : (v < 0 ? "-inf" : "inf") }
        return String(format: "%.6g", v)
    }
}
