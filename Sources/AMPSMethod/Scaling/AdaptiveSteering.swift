import AMPSCore
import AMPSModel
import Foundation

/// What steering needs besides the model: the vectors, and (for the adaptive modes) the
/// fitted AMPS rule and the learned scaler.
public struct SteeringResources: @unchecked Sendable {
    public var vectors: SteeringVectorSet
    public var scaling: AMPSScaling?
    public var scaler: LearnedScaler?
    /// The L2S baseline's network and the learned AMPS modules (per direction).
    public var l2s: SteeringNetwork?
    public var ampsLearned: [SteeringDirection: SteeringNetwork] = [:]
    public init(vectors: SteeringVectorSet, scaling: AMPSScaling? = nil, scaler: LearnedScaler? = nil) {
        self.vectors = vectors; self.scaling = scaling; self.scaler = scaler
    }
}

/// The per-instance strength each mode applies.
public enum AdaptiveSteering {
    /// MCR over the steering window, from Monte Carlo MCS at the window's layers.
    public static func windowRatio(model: LlavaModel, pass: PromptPass, probe: Probe, window: ClosedRange<Int>,
                                   settings: PerturbationSettings) throws -> (ratio: Double?, map: ContributionMap) {
        let map = try ModalityContribution.map(model: model, pass: pass, probe: probe, layers: Array(window), settings: settings)
        return (map.ratio(window: window), map)
    }

    /// The factor multiplying alpha for this probe under `mode` (1 for uniform, 0 for none).
    /// `mcr` may be passed in when already known.
    public static func factor(mode: SteeringMode, model: LlavaModel, pass: PromptPass, probe: Probe, window: ClosedRange<Int>,
                              resources: SteeringResources, settings: PerturbationSettings, mcr known: Double?? = nil,
                              toward: SteeringDirection = .vision) throws -> Double {
        switch mode {
        case .none: return 0
        case .uniform: return 1
        case .amps:
            guard let rule = resources.scaling else { throw AMPSError.invalidInput("AMPS mode needs a fitted scaling rule (run `amps fit`)") }
            let mcr = try known ?? windowRatio(model: model, pass: pass, probe: probe, window: window, settings: settings).ratio
            // Undefined MCR (neither modality moves the output): leave alpha as it is.
            return mcr.map { rule.factor(mcr: $0, toward: toward) } ?? 1
        case .learned:
            guard let s = resources.scaler else { throw AMPSError.invalidInput("learned mode needs a trained scaler (run `amps fit`)") }
            let h = pass.layerInputs[s.layer + 1].data + (pass.length - 1) * model.hiddenSize
            // Trained on the vision-direction factor 1 + gamma; toward text 1 - gamma.
            let f = s.predict(h)
            return max(0, toward == .vision ? f : 2 - f)
        }
    }
}
