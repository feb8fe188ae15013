import AMPSCore
import AMPSModel
import Foundation

/// The memory checks of the method's batched passes, made before the noise or the batch
/// is allocated: a request the machine cannot hold is an error (on the command line, one
/// line and exit 1; in the inspector, its error line), never a failed allocation.
extension ModalityContribution {
    /// The Monte Carlo batch of one (layer, modality): the noise [N, P, F] (K and V, or the
    /// residual) and the resumed pass of N sequences.
    static func checkMemory(model: LlavaModel, pass: PromptPass, positions: [Int], layer: Int, settings: PerturbationSettings) throws {
        let n = Double(settings.samples), p = Double(positions.count)
        let noise = settings.target == .kv ? 2 * n * p * Double(model.decoder.kvDim) * 4 : n * p * Double(model.hiddenSize) * 4
        let batch = model.resumedPassBytes(promptLength: pass.length, fromLayer: layer, firstPosition: positions.min() ?? 0,
                                           batch: settings.samples)
        let (k, note) = concurrentCopies
        try MemoryBudget.check(k * (noise + batch), for: "the Monte Carlo batch of N=\(settings.samples) samples (layer \(layer), \(pass.length) tokens\(note))")
    }
}

/// Inside a parallel region (`amps eval` spreads its probes over the workers) every worker
/// may hold one such batch at the same time.
var concurrentCopies: (Double, String) {
    let k = Parallel.available || Parallel.workers <= 1 ? 1 : Parallel.workers
    return (Double(k), k > 1 ? ", on each of \(k) workers at once" : "")
}

extension SensitivityCurve {
    /// The grid's batched pass: one sequence per alpha.
    static func checkMemory(model: LlavaModel, pass: PromptPass, window: ClosedRange<Int>, points: Int) throws {
        let bytes = model.resumedPassBytes(promptLength: pass.length, fromLayer: min(window.lowerBound, model.layerCount),
                                           firstPosition: 0, batch: points)
        let (k, note) = concurrentCopies
        try MemoryBudget.check(k * bytes, for: "the sensitivity grid of \(points) alphas (\(pass.length) tokens\(note))")
    }
}
