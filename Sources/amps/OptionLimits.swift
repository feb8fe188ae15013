import AMPSCore
import AMPSMethod
import Foundation

/// The bounds of the numeric command-line options, checked before anything is loaded or
/// sized by them; each error is one line naming the option, the bound and the value.
/// The method's own bounds (samples, sigma, alpha, grids) are `RequestLimits`, which the
/// inspector's engine applies too; docs/RELIABILITY.md ("Limits") gives every reason.
enum OptionLimits {
    /// --threads: up to 4x the cores. More threads than cores only time-slice the same
    /// cores; a few times over is tolerated (a shared machine's count can change), a
    /// million would take the process's (and the user's) thread limit from everything else.
    static var threads: ClosedRange<Int> { 1...(4 * max(1, ProcessInfo.processInfo.activeProcessorCount)) }
    /// --alpha-steps: the grid has steps + 1 points, one batched sequence each.
    static let alphaSteps = 1...(RequestLimits.gridPoints - 1)
    /// --scaler-hidden: the scaler is fit on a calibration split of a few hundred probes;
    /// thousands of hidden units only overfit it. Its weights and Adam's state are 4 K x D floats.
    static let scalerHidden = 1...4096
    /// --epochs: each epoch is one pass over the calibration probes' features.
    static let epochs = 1...100_000
    /// --lambda: the collapse penalty weighs two rates in [0, 1].
    static let lambda = 0.0...1e6
    /// --max-new-tokens: the KV cache for the prompt and every new token is allocated up
    /// front; no supported model has a context of more than 65 536 tokens.
    static let maxNewTokens = 1...65_536
    static let benchRepeats = 1...1000, benchRounds = 1...100, benchEvalInstances = 1...100_000, benchKeys = 0...1_000_000

    static func check(_ value: Int, _ range: ClosedRange<Int>, _ option: String) throws {
        guard range.contains(value) else {
            let bound = value < range.lowerBound ? "at least \(range.lowerBound)" : "at most \(range.upperBound)"
            throw AMPSError.invalidInput("\(option) must be \(bound) (got \(value))")
        }
    }

    static func check(_ value: Double, _ range: ClosedRange<Double>, _ option: String) throws {
        guard value.isFinite, range.contains(value) else {
            throw AMPSError.invalidInput("\(option) must be a finite number from \(RequestLimits.compact(range.lowerBound)) to \(RequestLimits.compact(range.upperBound)) (got \(RequestLimits.compact(value)))")
        }
    }
}

extension ModelOptions {
    /// --threads within its bound, then the engine's threads started: a thread the system
    /// refuses is this error, never a spin.
    func startThreads() throws {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        if let threads { try OptionLimits.check(threads, OptionLimits.threads, "--threads") }
        let count = threads ?? cores
        do { try Parallel.start(workers: count) } catch let e as AMPSError {
            throw AMPSError.invalidInput("\(threads.map { "--threads \($0)" } ?? "engine threads (one per core: \(cores))"): \(e.description)")
        }
    }
}

extension MethodOptions {
    func checkOptionBounds() throws {
        try OptionLimits.check(samples, RequestLimits.samples, "-n/--samples")
        try OptionLimits.check(sigma, RequestLimits.sigmaScale, "--sigma")
        _ = try scoring()   // --answer and --answer-tokens (1-256)
    }
}

func checkAlphaOption(_ alpha: Double?, _ option: String = "--alpha") throws {
    if let alpha { try RequestLimits.checkAlpha(alpha, option) }
}

extension DiagnoseCommand {
    func checkOptionBounds() throws {
        try method.checkOptionBounds()
        try checkAlphaOption(alpha)
        guard alphaMax.isFinite, alphaMax > 0, alphaMax <= RequestLimits.alphaMagnitude else {
            throw AMPSError.invalidInput("--alpha-max must be a positive finite number at most \(Int(RequestLimits.alphaMagnitude)) (got \(RequestLimits.compact(alphaMax)))")
        }
        try OptionLimits.check(alphaSteps, OptionLimits.alphaSteps, "--alpha-steps")
    }
}

extension FitCommand {
    func checkOptionBounds() throws {
        try method.checkOptionBounds()
        for a in try alphaCandidates() { try checkAlphaOption(a, alpha == "auto" ? "--alphas" : "--alpha") }
        try OptionLimits.check(lambda, OptionLimits.lambda, "--lambda")
        try OptionLimits.check(scalerHidden, OptionLimits.scalerHidden, "--scaler-hidden")
        try OptionLimits.check(epochs, OptionLimits.epochs, "--epochs")
    }
}

extension EvalCommand {
    func checkOptionBounds() throws {
        try method.checkOptionBounds()
        try checkAlphaOption(alpha)
        try RequestLimits.checkGrid(alphas, "--alphas")
    }
}

extension InspectCommand {
    func checkOptionBounds() throws {
        try method.checkOptionBounds()
        try checkAlphaOption(alpha)
    }
}

extension VectorsCommand {
    func checkOptionBounds() throws { try method.checkOptionBounds() }
}

extension GenerateCommand {
    func checkOptionBounds() throws {
        try OptionLimits.check(maxNewTokens, OptionLimits.maxNewTokens, "--max-new-tokens")
    }
}

extension BenchCommand {
    func checkOptionBounds() throws {
        try method.checkOptionBounds()
        try OptionLimits.check(repeats, OptionLimits.benchRepeats, "--repeats")
        try OptionLimits.check(rounds, OptionLimits.benchRounds, "--rounds")
        try OptionLimits.check(evalInstances, OptionLimits.benchEvalInstances, "--eval-instances")
        try OptionLimits.check(keys, OptionLimits.benchKeys, "--keys")
    }
}
