import AMPSCore
import Foundation

/// How the noise of the two modalities is made comparable. The image has 64 positions and
/// the context ~15 on the default model, and each modality's σ comes from its own spread by
/// default, so the two MCS values measure responses to perturbations of different size.
public enum NoiseScale: String, Sendable, CaseIterable {
    /// σ_f = std of feature f over the perturbed modality's own positions (the default).
    case own
    /// σ_f = std of feature f over the positions of both modalities together: the same
    /// per-position noise for vision and text.
    case shared
    /// The own σ_f times sqrt(P_min / P_m), P_m the modality's position count and P_min the
    /// smaller of the two: the summed noise energy no longer grows with the token count.
    case tokenCount = "token-count"

    /// The positions whose per-feature spread gives σ for `modality`, and the factor on it
    /// (before `--sigma`): what the engine's perturbation request carries.
    public func sigmaPositions(probe: Probe, modality: Modality) -> (positions: [Int], factor: Double) {
        let mine = probe.positions(of: modality)
        switch self {
        case .own:
            return (mine, 1)
        case .shared:
            return (Array(Set(probe.visionPositions + probe.textPositions)).sorted(), 1)
        case .tokenCount:
            let pMin = min(probe.visionPositions.count, probe.textPositions.count)
            return (mine, (Double(pMin) / Double(max(mine.count, 1))).squareRoot())
        }
    }

    /// σ [F] for `modality`'s positions of `states` [T, F] (before `--sigma`).
    public func sigma(_ states: Tensor, probe: Probe, modality: Modality) -> [Float] {
        let (positions, factor) = sigmaPositions(probe: probe, modality: modality)
        let s = featureStd(states, positions: positions)
        return factor == 1 ? s : s.map { $0 * Float(factor) }
    }
}
