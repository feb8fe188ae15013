import AMPSCore
import AMPSMethod
import AMPSModel
import ArgumentParser
import Foundation

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a split: no steering, the two instructions, uniform steering over an alpha grid, AMPS and the learned scaler.")

    @OptionGroup var model: ModelOptions
    @OptionGroup var method: MethodOptions
    @OptionGroup var networks: SteeringNetworkOptions

    @Option(name: .long, parsing: .upToNextOption, help: "Uniform-steering alpha grid.")
    var alphas: [Double] = [0.25, 0.5, 1, 2, 4]

    @Option(name: .long, help: "Strength the adaptive modes scale (default: the one the rule was fitted at).")
    var alpha: Double?

    @Option(name: .long, help: "Use at most this many instances.")
    var limit: Int?

    @Flag(name: .long, help: "Only conflict instances.")
    var conflictsOnly = false

    @Flag(name: .customLong("uniform-only"), help: "Only no steering and the uniform grid (skip the instructions, AMPS and the learned scaler).")
    var uniformOnly = false

    @Flag(name: .customLong("by-task"), help: "Also print the vision ratio per task.")
    var byTask = false

    @Flag(name: .long, help: "JSON output (the whole report, with per-probe records).")
    var json = false

    @Flag(name: .long, help: "CSV output (one row per method).")
    var csv = false

    // Issue 16: the paper's comparison.
    @Option(name: .long, help: "Direction the steered methods push: vision, text or both (default).")
    var toward: String = "both"

    @Option(name: .customLong("sensitivity-precision"), help: "Precision to which alpha_flip and alpha_collapse are found inside the grid.")
    var sensitivityPrecision: Double = SensitivityThreshold.defaultPrecision

    func run() throws {
        try reportingErrors {
            try checkOptionBounds()
            let m = try model.startEngine()
            var set = try method.instances().instances
            if conflictsOnly { set = set.filter(\.isConflict) }
            if let limit { set = Array(set.prefix(max(0, limit))) }
            guard !set.isEmpty else { throw AMPSError.invalidInput("no instances to evaluate") }
            var resources = try method.resources(m)
            if uniformOnly { resources.scaling = nil; resources.scaler = nil }
            var fittedAlpha: Double?
            var window = try method.layerWindow(m)
            let sp = method.artifact(method.scaling, "scaling.json", model: m)
            if resources.scaling != nil {
                let rule = try ScalingFit.loadRule(path: sp, layers: m.layerCount)
                fittedAlpha = rule.alpha
                if method.window == nil { window = rule.window }
            }
            if !uniformOnly {
                try networks.load(into: &resources, model: m, window: window, folder: URL(fileURLWithPath: sp).deletingLastPathComponent().path)
            }
            let a = alpha ?? fittedAlpha ?? 2
            var settings = EvaluationSettings(uniformAlphas: alphas, alpha: a, window: window)
            settings.perturbation = try method.perturbation()
            settings.lastTokenOnly = method.lastTokenOnly
            settings.includeInstructions = !uniformOnly
            settings.scoring = try method.scoring()
            settings.directions = try SteeringDirection.parse(toward)
            guard a.isFinite else { throw AMPSError.invalidInput("--alpha must be a finite number (got \(a))") }
            guard alphas.allSatisfy(\.isFinite) else { throw AMPSError.invalidInput("--alphas must be finite numbers (got \(alphas))") }
            guard sensitivityPrecision.isFinite, sensitivityPrecision > 0 else {
                throw AMPSError.invalidInput("--sensitivity-precision must be a positive number (got \(sensitivityPrecision))")
            }
            settings.sensitivityPrecision = sensitivityPrecision
            let bar = ProgressBar(label: "eval")
            let report = try Evaluation.run(model: m, template: try method.template(m), instances: set, resources: resources,
                                            settings: settings, dataName: method.data, progress: bar.update)
            if json {
                let enc = JSONEncoder()
                enc.outputFormatting = [.prettyPrinted, .sortedKeys]
                enc.nonConformingFloatEncodingStrategy = .throw
                FileHandle.standardOutput.write(try enc.encode(report))
                print()
            } else if csv {
                print(EvaluationTable.csvHeader)
                for r in report.methods { print(EvaluationTable.csvRow(r)) }
            } else {
                print(EvaluationTable.render(report, byTask: byTask))
            }
        }
    }
}


/// The plain-text table of an evaluation report.
enum EvaluationTable {
    /// The JSON rows' columns, in the same names (fractions 0-1; empty where undefined).
    static let csvHeader = "method,direction,alpha,vision_ratio,shift,other_rate,letter_collapse_rate,accuracy_non_conflict,error_rate,"
        + "vision,text,other,items,error_items"

    static func csvRow(_ r: MethodResult) -> String {
        let cells = [r.method, r.direction?.rawValue ?? "", r.alpha.map { String($0) } ?? "",
                     fmt(r.visionRatio, "%.4f"), fmt(r.shift, "%.4f"), fmt(r.errors.otherRate, "%.4f"),
                     fmt(r.errors.letterCollapseRate, "%.4f"), fmt(r.errors.accuracyNonConflict, "%.4f"), fmt(r.errors.errorRate, "%.4f"),
                     "\(r.conflict.vision)", "\(r.conflict.text)", "\(r.conflict.other)", "\(r.errors.items)", "\(r.errors.errorItems)"]
        return cells.map { $0 == "n/a" ? "" : $0 }.joined(separator: ",")
    }

    static func render(_ r: EvaluationReport, byTask: Bool) -> String {
        var lines: [String] = []
        lines.append("model \(r.model)   data \(r.data)   conflict probes \(r.conflictProbes)   other probes \(r.nonConflictProbes)")
        lines.append("window \(r.window.first ?? 0)-\(r.window.last ?? 0)   adaptive alpha \(r.alpha)   N \(r.samples)   answers by \(r.answerScoring)")
        lines.append("method".rightPad(22) + "toward".rightPad(7) + "vision%".leftPad(8) + "shift".leftPad(7) + "error%".leftPad(8)
                     + "other%".leftPad(8) + "letter%".leftPad(9) + "acc(non-conf)%".leftPad(16))
        for m in r.methods {
            lines.append(m.key.label.rightPad(22) + (m.direction?.rawValue ?? "-").rightPad(7)
                         + pct(m.visionRatio).leftPad(8) + pct(m.shift).leftPad(7) + pct(m.errors.errorRate).leftPad(8)
                         + pct(m.errors.otherRate).leftPad(8) + pct(m.errors.letterCollapseRate).leftPad(9)
                         + pct(m.errors.accuracyNonConflict).leftPad(16))
        }
        if byTask {
            let tasks = Set(r.methods.flatMap { $0.byTask.keys }).sorted()
            lines.append("")
            lines.append("vision% by task".rightPad(22) + tasks.map { String($0.prefix(12)).leftPad(13) }.joined())
            for m in r.methods {
                let toward = m.method.hasPrefix("instruction") ? "" : (m.direction.map { " ->" + $0.rawValue } ?? "")
                lines.append((m.key.label + toward).rightPad(22) + tasks.map { pct(m.byTask[$0]?.visionRatio).leftPad(13) }.joined())
            }
        }
        let c = r.sensitivityVsMCR
        lines.append("")
        lines.append("sensitivity vs MCR (alpha_flip against MCR, \(c.count) probes that flip): Pearson \(fmt(c.pearson)), Spearman \(fmt(c.spearman))")
        return lines.joined(separator: "\n")
    }
}
