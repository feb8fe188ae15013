import AMPSCore
import AMPSModel
import Foundation

/// How the Monte Carlo perturbation behind the Modality Contribution Score is drawn.
public struct PerturbationSettings: Sendable, Equatable {
    /// Where the noise goes (K/V of the modality's positions at layer l, or the residual entering it).
    public typealias Target = PerturbationTarget
    public var target: Target = .kv
    public var samples: Int = 32
    public var sigmaScale: Double = 1
    public var functional: Functional = .crossEntropy
    public var seed: UInt64 = 0
    /// How the two modalities' noise is made comparable (NoiseScale; default: own spread).
    public var noiseScale: NoiseScale = .own

    public init() {}

    public func validate() throws {
        guard samples >= 2 else { throw AMPSError.invalidInput("N (Monte Carlo samples) must be at least 2 (got \(samples))") }
        guard samples <= RequestLimits.samples.upperBound else {
            throw AMPSError.invalidInput("N (Monte Carlo samples) must be at most \(RequestLimits.samples.upperBound) (got \(samples))")
        }
        guard sigmaScale.isFinite, sigmaScale > 0 else { throw AMPSError.invalidInput("sigma scale must be a positive finite number (got \(RequestLimits.compact(sigmaScale)))") }
        guard RequestLimits.sigmaScale.contains(sigmaScale) else {
            throw AMPSError.invalidInput("sigma scale must be within \(RequestLimits.compact(RequestLimits.sigmaScale.lowerBound))-\(RequestLimits.compact(RequestLimits.sigmaScale.upperBound)) (got \(RequestLimits.compact(sigmaScale)))")
        }
    }
}

/// MCS of both modalities at one layer.
public struct LayerContribution: Sendable, Equatable {
    public let layer: Int
    public let vision: FunctionalEntropy
    public let text: FunctionalEntropy

    public init(layer: Int, vision: FunctionalEntropy, text: FunctionalEntropy) { self.layer = layer; self.vision = vision; self.text = text }

    public func score(_ m: Modality) -> FunctionalEntropy { m == .vision ? vision : text }

    /// MCR = MCS_vision / (MCS_vision + MCS_text); nil when neither modality clearly moves
    /// the output (`ContributionRatio`).
    public var ratio: Double? { ContributionRatio.ratio(vision: [vision], text: [text]) }
}

/// The per-layer MCS map of one probe.
public struct ContributionMap: Sendable, Equatable {
    public var layers: [LayerContribution]

    public init(layers: [LayerContribution]) { self.layers = layers.sorted { $0.layer < $1.layer } }

    /// Instance-level MCR over a layer window: summed MCS of each modality, then the ratio
    /// (nil where the sums are not clearly above zero).
    public func ratio(window: ClosedRange<Int>) -> Double? {
        let inWindow = layers.filter { window.contains($0.layer) }
        return ContributionRatio.ratio(vision: inWindow.map(\.vision), text: inWindow.map(\.text))
    }
}

/// Modality Contribution Score: functional entropy of the answer under Gaussian
/// perturbation of one modality's internal states at one layer.
public enum ModalityContribution {
    /// The engine request of one (probe, layer, modality) cell: the noise is drawn by the
    /// engine, deterministic from the settings' seed and the cell's tags
    /// (instance/order/instruction/layer/modality).
    public static func request(probe: Probe, layer: Int, modality: Modality, settings: PerturbationSettings) -> PerturbationRequest {
        let tags = [probe.instance.id, probe.order.rawValue, probe.instruction.rawValue, "\(layer)", modality.rawValue].joined(separator: "/")
        let (sigmaPositions, factor) = settings.noiseScale.sigmaPositions(probe: probe, modality: modality)
        return PerturbationRequest(layer: layer, target: settings.target, positions: probe.positions(of: modality),
                                   sigmaPositions: sigmaPositions, samples: settings.samples,
                                   sigmaScale: settings.sigmaScale * factor, seed: settings.seed, tags: tags)
    }

    /// The N values of the functional for one (layer, modality).
    public static func functionalSamples(model: any ModelEngine, pass: EnginePass, probe: Probe, layer: Int, modality: Modality,
                                         settings: PerturbationSettings) throws -> [Double] {
        let positions = probe.positions(of: modality)
        guard !positions.isEmpty else { throw AMPSError.invalidInput("instance \(probe.instance.id): no \(modality.rawValue) positions to perturb") }
        let request = request(probe: probe, layer: layer, modality: modality, settings: settings)
        try checkMemory(model: model, pass: pass, request: request)
        let logits = try model.perturbedLogits(pass, request)
        guard logits.allFinite else {
            throw AMPSError.numerical("instance \(probe.instance.id), layer \(layer), \(modality.rawValue): perturbed logits contain NaN or infinity")
        }
        let clean = probe.answer(pass.logits).triple
        return (0..<settings.samples).map { settings.functional.evaluate(clean: clean, perturbed: probe.answer(logits, row: $0).triple) }
    }

    public static func layer(model: any ModelEngine, pass: EnginePass, probe: Probe, layer: Int,
                             settings: PerturbationSettings) throws -> LayerContribution {
        try settings.validate()
        let v = try FunctionalEntropy(samples: functionalSamples(model: model, pass: pass, probe: probe, layer: layer, modality: .vision, settings: settings))
        let t = try FunctionalEntropy(samples: functionalSamples(model: model, pass: pass, probe: probe, layer: layer, modality: .text, settings: settings))
        return LayerContribution(layer: layer, vision: v, text: t)
    }

    /// The whole map, layer by layer; `progress` sees each finished layer and may stop
    /// the computation by returning false (then the partial map is returned).
    public static func map(model: any ModelEngine, pass: EnginePass, probe: Probe, layers: [Int]? = nil,
                           settings: PerturbationSettings,
                           progress: (LayerContribution) -> Bool = { _ in true }) throws -> ContributionMap {
        var out: [LayerContribution] = []
        for l in layers ?? Array(0..<model.layerCount) {
            let c = try layer(model: model, pass: pass, probe: probe, layer: l, settings: settings)
            out.append(c)
            if !progress(c) { break }
        }
        return ContributionMap(layers: out)
    }
}
