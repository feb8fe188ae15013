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
    /// The engine hook for one probe under `mode` at strength `scale` (alpha times the
    /// mode's factor; negative toward text): u_l for the vector modes, g(h) for the network
    /// modes, which must have been trained for this window.
    public static func steering(mode: SteeringMode, model: any ModelEngine, pass: EnginePass, window: ClosedRange<Int>,
                                resources: SteeringResources, scale: Double, lastTokenOnly: Bool) throws -> Steering {
        guard mode.usesNetwork else {
            return resources.vectors.steering(window: window, scales: [Float(scale)], lastTokenOnly: lastTokenOnly, promptLength: pass.length)
        }
        let toward: SteeringDirection = scale < 0 ? .text : .vision
        guard let net = mode == .l2s ? resources.l2s : resources.ampsLearned[toward] else {
            throw AMPSError.invalidInput("\(mode.rawValue) mode needs its trained network (run `amps fit`)")
        }
        guard net.window == window else {
            throw AMPSError.invalidInput("the \(mode.rawValue) network was trained for window \(net.window.lowerBound)-\(net.window.upperBound), "
                                         + "not \(window.lowerBound)-\(window.upperBound)")
        }
        return net.steering(input: try SteeringNetwork.input(model: model, pass: pass, layer: net.inputLayer), scale: Float(scale),
                            lastTokenOnly: lastTokenOnly, promptLength: pass.length)
    }

    /// MCR over the steering window, from Monte Carlo MCS at the window's layers.
    public static func windowRatio(model: any ModelEngine, pass: EnginePass, probe: Probe, window: ClosedRange<Int>,
                                   settings: PerturbationSettings) throws -> (ratio: Double?, map: ContributionMap) {
        let map = try ModalityContribution.map(model: model, pass: pass, probe: probe, layers: Array(window), settings: settings)
        return (map.ratio(window: window), map)
    }

    /// The factor multiplying alpha for this probe under `mode` (1 for uniform, 0 for none).
    /// `mcr` may be passed in when already known.
    public static func factor(mode: SteeringMode, model: any ModelEngine, pass: EnginePass, probe: Probe, window: ClosedRange<Int>,
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
        case .l2s, .ampsLearned: return 1   // the network's vectors carry the per-instance strength
        case .learned:
            guard let s = resources.scaler else { throw AMPSError.invalidInput("learned mode needs a trained scaler (run `amps fit`)") }
            let h = try SteeringNetwork.input(model: model, pass: pass, layer: s.layer)
            // Trained on the vision-direction factor 1 + gamma; toward text 1 - gamma.
            let f = s.predict(h)
            return max(0, toward == .vision ? f : 2 - f)
        }
    }
}
