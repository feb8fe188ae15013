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

    /// σ [F] for `modality`'s positions of `states` [T, F] (before `--sigma`).
    public func sigma(_ states: Tensor, probe: Probe, modality: Modality) -> [Float] {
        let mine = probe.positions(of: modality)
        switch self {
        case .own:
            return featureStd(states, positions: mine)
        case .shared:
            return featureStd(states, positions: Array(Set(probe.visionPositions + probe.textPositions)).sorted())
        case .tokenCount:
            let pMin = min(probe.visionPositions.count, probe.textPositions.count)
            let k = Float((Double(pMin) / Double(max(mine.count, 1))).squareRoot())
            return featureStd(states, positions: mine).map { $0 * k }
        }
    }
}
