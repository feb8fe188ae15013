import AMPSCore
import AMPSMethod
import AMPSModel
import ArgumentParser
import Foundation

/// Where the L2S network and the learned AMPS modules live (fit, eval, inspect).
struct SteeringNetworkOptions: ParsableArguments {
    @Option(name: .long, help: "L2S network (default: l2s.safetensors beside the AMPS rule, amps/ in the model folder).")
    var l2s: String?

    @Option(name: .customLong("amps-learned"), help: "Learned AMPS module toward vision (default: amps/amps_learned.safetensors; toward text: the same name with _text).")
    var ampsLearned: String?

    // The networks live beside the AMPS rule they were trained with: `folder` is the rule
    // file's folder (the model folder's amps/ by default).
    func l2sPath(folder: String) -> String { l2s ?? folder + "/l2s.safetensors" }

    func ampsLearnedPath(folder: String, toward d: SteeringDirection) -> String {
        let vision = ampsLearned ?? folder + "/amps_learned.safetensors"
        guard d == .text else { return vision }
        let url = URL(fileURLWithPath: vision)
        let ext = url.pathExtension
        return url.deletingPathExtension().path + "_text" + (ext.isEmpty ? "" : "." + ext)
    }

    /// Adds whichever networks exist for this model and window; a path given explicitly must exist.
    func load(into r: inout SteeringResources, model m: any ModelEngine, window: ClosedRange<Int>, folder: String) throws {
        let lp = l2sPath(folder: folder)
        if FileManager.default.fileExists(atPath: lp) { r.l2s = try SteeringNetwork.load(path: lp, kind: .l2s, for: m, window: window) }
        else if l2s != nil { throw AMPSError.file(lp, "L2S network not found (train it with `amps fit`)") }
        for d in SteeringDirection.allCases {
            let p = ampsLearnedPath(folder: folder, toward: d)
            if FileManager.default.fileExists(atPath: p) {
                let net = try SteeringNetwork.load(path: p, kind: .ampsLearned, for: m, window: window)
                guard net.toward == d else { throw AMPSError.file(p, "is the module toward \(net.toward.rawValue), expected \(d.rawValue)") }
                r.ampsLearned[d] = net
            } else if ampsLearned != nil && d == .vision {
                throw AMPSError.file(p, "learned AMPS module not found (train it with `amps fit`)")
            }
        }
    }

    /// `amps fit`'s last stage: L2S on z_i, and amps-learned on (1 + gamma_i) z_i per direction,
    /// gamma_i from the fitted rule and each probe's MCR (probes with undefined MCR left out).
    func train(model m: any ModelEngine, template: PromptTemplate, instances: [Instance], fit: ScalingFit, window: ClosedRange<Int>,
               options: NetworkTrainingOptions, seed: UInt64, folder: String) throws -> [(String, String, SteeringNetwork.TrainingReport)] {
        let layer = try options.inputLayer(m, window: window)
        let bar = ProgressBar(label: "targets")
        let ex = try SteeringNetwork.examples(model: m, template: template, instances: instances, window: window,
                                              inputLayer: layer, progress: bar.update)
        var out: [(String, String, SteeringNetwork.TrainingReport)] = []
        let settings = options.training(seed: seed)
        var (l2sNet, l2sReport) = try SteeringNetwork.train(kind: .l2s, modelName: m.name, window: window, inputLayer: layer,
                                                            features: ex.features, targets: ex.targets, items: ex.items, settings: settings)
        l2sNet.metadata["target"] = "z_i = mean over orders of h_l(image instruction) - h_l(text instruction), last prompt token"
        try l2sNet.save(path: l2sPath(folder: folder))
        out.append(("l2s", l2sPath(folder: folder), l2sReport))
        for d in SteeringDirection.allCases {
            var f: [[Float]] = [], t: [[Float]] = [], items: [String] = []
            for i in ex.features.indices {
                guard let r = fit.ratioByProbe[ex.items[i]]?[ex.orders[i]] else { continue }
                let factor = Float(fit.scaling.factor(mcr: r, toward: d))
                f.append(ex.features[i]); t.append(ex.baseTargets[i].map { $0 * factor }); items.append(ex.items[i])
            }
            var (net, report) = try SteeringNetwork.train(kind: .ampsLearned, modelName: m.name, window: window, inputLayer: layer,
                                                          features: f, targets: t, items: items, settings: settings)
            net.toward = d
            net.metadata["target"] = "(1 + gamma_i) z_i, gamma_i = \(d == .vision ? "" : "-")beta (MCR_i - r_anchor), beta \(fit.best.beta), anchor \(fit.anchor)"
            let path = ampsLearnedPath(folder: folder, toward: d)
            try net.save(path: path)
            out.append(("amps-learned toward \(d.rawValue)", path, report))
        }
        return out
    }
}

/// How `amps fit` trains the L2S network and the learned AMPS modules.
struct NetworkTrainingOptions: ParsableArguments {
    @Option(name: .customLong("net-layer"), help: "Input layer L' of the L2S / amps-learned networks (default: the window's first layer - 1).")
    var netLayer: Int?

    @Option(name: .customLong("net-hidden"), help: "Hidden units K of the L2S / amps-learned networks.")
    var netHidden: Int = SteeringNetwork.Training().hidden

    @Option(name: .customLong("net-epochs"), help: "Most training epochs of the networks (early stop on validation).")
    var netEpochs: Int = SteeringNetwork.Training().epochs

    @Option(name: .customLong("net-lr"), help: "Adam learning rate of the networks.")
    var netLearningRate: Float = SteeringNetwork.Training().learningRate

    @Option(name: .customLong("net-l1"), help: "Weight of the L1 term mean|g(h)| in the networks' loss.")
    var netL1: Float = 0

    @Option(name: .customLong("net-cosine"), help: "Weight of the cosine term mean(1 - cos(g_l(h), z_l)) in the networks' loss.")
    var netCosine: Float = 0

    @Option(name: .customLong("net-patience"), help: "Early stop after this many epochs without a better validation loss.")
    var netPatience: Int = SteeringNetwork.Training().patience

    @Flag(name: .customLong("no-networks"), help: "amps fit: do not train the L2S and amps-learned networks.")
    var noNetworks = false

    func inputLayer(_ m: any ModelEngine, window: ClosedRange<Int>) throws -> Int {
        let l = netLayer ?? max(0, window.lowerBound - 1)
        guard l >= 0, l < m.layerCount else { throw AMPSError.invalidInput("--net-layer \(l) is outside the model's layers 0-\(m.layerCount - 1)") }
        return l
    }

    /// Checked before the fit starts, so a bad option does not cost the Monte Carlo sweep.
    func check() throws {
        guard netHidden >= 1 else { throw AMPSError.invalidInput("--net-hidden must be at least 1 (got \(netHidden))") }
        guard netEpochs >= 1 else { throw AMPSError.invalidInput("--net-epochs must be at least 1 (got \(netEpochs))") }
        guard netPatience >= 1 else { throw AMPSError.invalidInput("--net-patience must be at least 1 (got \(netPatience))") }
        guard netLearningRate.isFinite, netLearningRate > 0 else { throw AMPSError.invalidInput("--net-lr must be a positive number (got \(netLearningRate))") }
        guard netL1.isFinite, netL1 >= 0 else { throw AMPSError.invalidInput("--net-l1 must be a non-negative number (got \(netL1))") }
        guard netCosine.isFinite, netCosine >= 0 else { throw AMPSError.invalidInput("--net-cosine must be a non-negative number (got \(netCosine))") }
    }

    func training(seed: UInt64) -> SteeringNetwork.Training {
        var t = SteeringNetwork.Training()
        t.hidden = netHidden; t.epochs = netEpochs; t.learningRate = netLearningRate
        t.l1 = netL1; t.cosine = netCosine; t.patience = netPatience; t.seed = seed
        return t
    }

}
