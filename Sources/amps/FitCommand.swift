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

    @Option(name: .long, help: "Global steering strength the rule scales.")
    var alpha: Double = 1

    @Option(name: .long, help: "Collapse penalty lambda in J = shift - lambda * collapse.")
    var lambda: Double = 1

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

    func run() throws {
        try reportingErrors {
            try checkOptionBounds()
            let m = try model.load()
            var set = try method.instances().instances
            if let limit { set = Array(set.prefix(max(0, limit))) }
            let window = try method.layerWindow(m)
            let layer = scalerLayer ?? max(0, window.lowerBound - 1)
            guard layer >= 0, layer < m.layerCount else { throw AMPSError.invalidInput("--scaler-layer \(layer) is outside the model's layers") }
            guard alpha.isFinite else { throw AMPSError.invalidInput("--alpha must be finite") }
            guard epochs >= 1, scalerHidden >= 1 else { throw AMPSError.invalidInput("--epochs and --scaler-hidden must be at least 1") }
            let settings = try method.perturbation()
            let bar = ProgressBar(label: "fit")
            let fit = try ScalingFit.fit(model: m, template: try method.template(m), instances: set, vectors: try method.steeringVectors(m),
                                         alpha: alpha, window: window, settings: settings, lambda: lambda, scalerLayer: layer,
                                         lastTokenOnly: method.lastTokenOnly, progress: bar.update)
            let scalingPath = method.artifact(method.scaling, "scaling.json", model: m)
            try fit.save(path: scalingPath, alpha: alpha, window: window, lambda: lambda, samples: settings.samples)
            // Learned scaler: targets are the fitted rule's factors (MCS-derived), inputs the hidden state.
            let targets = fit.ratios.map { fit.scaling.factor(mcr: $0) }
            let (scaler, report) = try LearnedScaler.train(features: fit.features, targets: targets, layer: layer,
                                                           hidden: scalerHidden, epochs: epochs, seed: settings.seed)
            let scalerPath = method.artifact(method.scaler, "scaler.safetensors", model: m)
            try scaler.save(path: scalerPath, metadata: ["target": "AMPS rule factor from MCR (beta \(fit.best.beta), anchor \(fit.anchor))",
                                                         "train_count": "\(report.trainCount)", "validation_count": "\(report.validationCount)"])
            if json {
                try writeJSON([
                    "anchor": fit.anchor, "beta": fit.best.beta, "alpha": alpha, "lambda": lambda, "probes": fit.probes,
                    "baseline_vision_ratio": jnum(fit.baselineVisionRatio),
                    "fit": fit.rows.map { ["beta": $0.beta, "vision_ratio": jnum($0.visionRatio), "shift": jnum($0.shift),
                                           "collapse_rate": jnum($0.collapseRate), "objective": jnum($0.objective)] },
                    "scaler": ["layer": layer, "epochs": report.epochs.map { ["epoch": $0.epoch, "train_mse": $0.train, "validation_mse": $0.validation] }],
                ])
                return
            }
            print("calibration probes: \(fit.probes)   anchor r = \(fmt(fit.anchor))   alpha = \(alpha)   window \(window.lowerBound)-\(window.upperBound)")
            print("baseline vision ratio: \(pct(fit.baselineVisionRatio))%")
            print("  beta   vision%   shift   collapse%   J = shift - \(lambda)*collapse")
            for r in fit.rows {
                print(String(format: "%6.2f", r.beta) + "   " + pct(r.visionRatio).leftPad(7) + "  " + pct(r.shift).leftPad(6) + "   "
                      + pct(r.collapseRate).leftPad(9) + "   " + fmt(r.objective)
                      + (r.beta == fit.best.beta ? "   <- best" : (r.beta == 0 ? "   (uniform)" : "")))
            }
            print("AMPS rule -> \(scalingPath)")
            print("learned scaler (layer \(layer), \(scalerHidden) hidden): train/validation MSE")
            for e in report.epochs { print(String(format: "  epoch %4d   %.5f   %.5f", e.epoch, e.train, e.validation)) }
            print("learned scaler -> \(scalerPath)")
        }
    }
}
