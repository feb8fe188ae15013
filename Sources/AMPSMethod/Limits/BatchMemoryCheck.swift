import AMPSCore
import AMPSModel
import Foundation

/// The memory checks of the method's batched passes, made before the noise or the batch
/// is allocated: a request the machine cannot hold is an error (on the command line, one
/// line and exit 1; in the inspector, its error line), never a failed allocation.
extension ModalityContribution {
    /// The Monte Carlo batch of one (layer, modality): the noise [N, P, F] (K and V, or the
    /// residual) and the resumed pass of N sequences.
    static func checkMemory(model: any ModelEngine, pass: EnginePass, request: PerturbationRequest) throws {
        // A remote engine holds its memory elsewhere and reports running out of it itself.
        guard let batch = model.resumedBatchBytes(pass, fromLayer: request.layer, firstPosition: request.positions.min() ?? 0,
                                                  batch: request.samples) else { return }
        let noise = request.noiseBytes(kvDim: model.kvDim, hiddenSize: model.hiddenSize)
        let (k, note) = concurrentCopies
        try MemoryBudget.check(k * (noise + batch), for: "the Monte Carlo batch of N=\(request.samples) samples (layer \(request.layer), \(pass.length) tokens\(note))")
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
    static func checkMemory(model: any ModelEngine, pass: EnginePass, window: ClosedRange<Int>, points: Int) throws {
        guard let bytes = model.resumedBatchBytes(pass, fromLayer: min(window.lowerBound, model.layerCount),
                                                  firstPosition: 0, batch: points) else { return }
        let (k, note) = concurrentCopies
        try MemoryBudget.check(k * bytes, for: "the sensitivity grid of \(points) alphas (\(pass.length) tokens\(note))")
    }
}
