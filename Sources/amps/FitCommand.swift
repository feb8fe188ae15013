import AMPSCore
import AMPSMethod
import AMPSModel
import ArgumentParser
import Foundation

struct FitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fit",
        abstract: "Fit beta and r_anchor of the AMPS rule on a calibration split, and train the learned scaler.")

    @OptionGroup var model: ModelOptions
    @OptionGroup var method: MethodOptions
    @OptionGroup var networks: SteeringNetworkOptions
    @OptionGroup var training: NetworkTrainingOptions

    @Option(name: .long, help: "Global steering strength the rule scales, or 'auto': fit it with beta over --alphas.")
    var alpha: String = "1"

    @Option(name: .long, help: "Error penalty lambda in J = shift - lambda * error rate.")
    var lambda: Double = ScalingFit.defaultLambda

    @Option(name: .customLong("scaler-layer"), help: "Layer whose residual (last prompt token) feeds the learned scaler (default: the window's first layer - 1).")
    var scalerLayer: Int?

    @Option(name: .customLong("scaler-hidden"), help: "Hidden units of the learned scaler.")
    var scalerHidden: Int = 64

    @Option(name: .long, help: "Training epochs of the learned scaler.")
    var epochs: Int = 200

    @Option(name: .long, help: "Use at most this many instances.")
    var limit: Int?

    @Flag(name: .long, help: "Print the fit as JSON.")
    var json = false

    // Issue 16: the paper's comparison.
    @Option(name: .long, parsing: .upToNextOption, help: "The alpha grid `--alpha auto` searches.")
    var alphas: [Double] = [0.25, 0.5, 1, 2, 4]

    /// The alphas the fit tries: the one given, or the grid.
    func alphaCandidates() throws -> [Double] {
        if alpha == "auto" {
            guard !alphas.isEmpty, alphas.allSatisfy({ $0.isFinite && $0 > 0 }) else {
                throw AMPSError.invalidInput("--alphas must be positive finite numbers")
            }
            return alphas
        }
        guard let a = Double(alpha), a.isFinite else { throw AMPSError.invalidInput("--alpha must be a finite number or 'auto' (got '\(alpha)')") }
        return [a]
    }

    func run() throws {
        try reportingErrors {
            try checkOptionBounds()
            let m = try model.startEngine()
            var set = try method.instances().instances
            if let limit { set = Array(set.prefix(max(0, limit))) }
            let window = try method.layerWindow(m)
            let layer = scalerLayer ?? max(0, window.lowerBound - 1)
            guard layer >= 0, layer < m.layerCount else { throw AMPSError.invalidInput("--scaler-layer \(layer) is outside the model's layers") }
            let candidates = try alphaCandidates()
            if !training.noNetworks { try training.check(); _ = try training.inputLayer(m, window: window) }
            guard lambda.isFinite, lambda >= 0 else { throw AMPSError.invalidInput("--lambda must be a non-negative finite number (got \(lambda))") }
            guard epochs >= 1, scalerHidden >= 1 else { throw AMPSError.invalidInput("--epochs and --scaler-hidden must be at least 1") }
            let settings = try method.perturbation()
            let bar = ProgressBar(label: "fit")
            let fit = try ScalingFit.fit(model: m, template: try method.template(m), instances: set, vectors: try method.steeringVectors(m),
                                         alphas: candidates, window: window, settings: settings, lambda: lambda, scalerLayer: layer,
                                         lastTokenOnly: method.lastTokenOnly, progress: bar.update)
            let scalingPath = method.artifact(method.scaling, "scaling.json", model: m)
            let alpha = fit.best.alpha
            try fit.save(path: scalingPath, window: window, lambda: lambda, samples: settings.samples)
            // Learned scaler: targets are the fitted rule's factors (MCS-derived), inputs the hidden state.
            let targets = fit.ratios.map { fit.scaling.factor(mcr: $0) }
            let (scaler, report) = try LearnedScaler.train(features: fit.features, targets: targets, layer: layer,
                                                           hidden: scalerHidden, epochs: epochs, seed: settings.seed)
            let scalerPath = method.artifact(method.scaler, "scaler.safetensors", model: m)
            try scaler.save(path: scalerPath, metadata: ["target": "AMPS rule factor from MCR (beta \(fit.best.beta), anchor \(fit.anchor))",
                                                         "train_count": "\(report.trainCount)", "validation_count": "\(report.validationCount)"])
            let trained = training.noNetworks ? [] : try networks.train(model: m, template: try method.template(m), instances: set, fit: fit,
                                                                           window: window, options: training, seed: settings.seed,
                                                                           folder: URL(fileURLWithPath: scalingPath).deletingLastPathComponent().path)
            if json {
                try writeJSON([
                    "networks": trained.map { n in ["name": n.0, "path": n.1, "best_epoch": n.2.bestEpoch, "train_count": n.2.trainCount,
                                                    "validation_count": n.2.validationCount, "initial_validation_loss": n.2.initialValidation,
                                                    "best_validation_loss": n.2.bestValidation,
                                                    "epochs": n.2.epochs.map { ["epoch": $0.epoch, "train_loss": $0.train, "validation_loss": $0.validation] }] },
                    "anchor": fit.anchor, "beta": fit.best.beta, "alpha": alpha, "lambda": lambda, "probes": fit.probes, "undefined_mcr_items": fit.undefinedItems,
                    "baseline_vision_ratio": jnum(fit.baselineVisionRatio), "baseline_error_rate": jnum(fit.baselineErrors.errorRate),
                    "baseline_letter_collapse_rate": jnum(fit.baselineErrors.letterCollapseRate),
                    "fit": fit.rows.map { ["alpha": $0.alpha, "beta": $0.beta, "vision_ratio": jnum($0.visionRatio), "shift": jnum($0.shift),
                                           "other_rate": jnum($0.otherRate), "letter_collapse_rate": jnum($0.letterCollapseRate),
                                           "error_rate": jnum($0.errorRate), "objective": jnum($0.objective)] },
                    "scaler": ["layer": layer, "epochs": report.epochs.map { ["epoch": $0.epoch, "train_mse": $0.train, "validation_mse": $0.validation] }],
                ])
                return
            }
            print("calibration probes: \(fit.probes)   anchor r = \(fmt(fit.anchor))   alpha = \(alpha)\(candidates.count > 1 ? " (fitted)" : "")   window \(window.lowerBound)-\(window.upperBound)")
            if fit.undefinedItems > 0 { print("left out: \(fit.undefinedItems) conflict items whose MCR is undefined in an order") }
            print("baseline (no steering): vision ratio \(pct(fit.baselineVisionRatio))%   other \(pct(fit.baselineErrors.otherRate))%   "
                  + "letter collapse \(pct(fit.baselineErrors.letterCollapseRate))%   error \(pct(fit.baselineErrors.errorRate))%")
            print("  alpha   beta   vision%   shift   other%   letter%   error%   J = shift - \(lambda)*error")
            for r in fit.rows {
                let mark = r.beta == fit.best.beta && r.alpha == fit.best.alpha ? "   <- best" : (r.beta == 0 ? "   (uniform)" : "")
                print(String(format: "%7.2f %6.2f", r.alpha, r.beta) + "   " + pct(r.visionRatio).leftPad(7) + "  " + pct(r.shift).leftPad(6)
                      + "   " + pct(r.otherRate).leftPad(6) + "   " + pct(r.letterCollapseRate).leftPad(7) + "   " + pct(r.errorRate).leftPad(6)
                      + "   " + fmt(r.objective) + mark)
            }
            print("AMPS rule -> \(scalingPath)")
            print("learned scaler (layer \(layer), \(scalerHidden) hidden): train/validation MSE")
            for e in report.epochs { print(String(format: "  epoch %4d   %.5f   %.5f", e.epoch, e.train, e.validation)) }
            print("learned scaler -> \(scalerPath)")
            for (name, path, r) in trained {
                print("\(name) network (input layer \(try training.inputLayer(m, window: window)), K \(training.netHidden)): "
                      + "\(r.trainCount) train / \(r.validationCount) validation probes, validation loss \(fmt(r.initialValidation, "%.5g")) -> "
                      + "\(fmt(r.bestValidation, "%.5g")) (best epoch \(r.bestEpoch) of \(r.epochs.count - 1))")
                let step = max(1, r.epochs.count / 10)
                for e in r.epochs where e.epoch % step == 0 || e.epoch == r.epochs.last!.epoch {
                    print(String(format: "  epoch %4d   train %.5g   validation %.5g", e.epoch, e.train, e.validation))
                }
                print("  -> \(path)")
            }
        }
    }
}
