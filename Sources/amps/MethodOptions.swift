import AMPSCore
import AMPSMethod
import AMPSModel
import ArgumentParser
import Foundation

/// Options shared by the method commands (vectors, diagnose, fit, eval, inspect).
struct MethodOptions: ParsableArguments {
    @Option(name: .long, help: "Instances: JSON Lines, or a JSON array such as MC²'s evaluate_final.json.")
    var data: String = DefaultPaths.data

    @Option(name: .long, help: "Folder of the images of instances without an 'image' field: <image_id>[.jpg|.jpeg|.png], COCO's train2014/ and val2014/ (default: the data file's folder).")
    var images: String?

    @Flag(name: .customLong("skip-missing-images"), help: "Leave out instances whose image is not found (counted on stderr) instead of stopping.")
    var skipMissingImages = false

    @Option(name: .long, help: "Keep only these tasks (comma-separated, e.g. color,counting).")
    var tasks: String?

    @Option(name: .long, help: "How an answer is read: first-token (the argmax at the answer position) or generate (greedy text, its first option letter, as MC² scores).")
    var answer: String = "first-token"

    @Option(name: .customLong("answer-tokens"), help: "Most new tokens generated per answer under --answer generate.")
    var answerTokens: Int = AnswerScoring.defaultAnswerTokens

    @Option(name: .customLong("prompt-file"), help: "Prompt template: a file, or a shipped one by name (llava-1.5, qwen2-chat; default: prompt.json in the model folder).")
    var promptFile: String?

    @Option(name: .long, help: "Steering vectors (default: amps/steering_vectors.safetensors in the model folder).")
    var vectors: String?

    @Option(name: .long, help: "Fitted AMPS rule (default: amps/scaling.json in the model folder).")
    var scaling: String?

    @Option(name: .long, help: "Learned scaler (default: amps/scaler.safetensors in the model folder).")
    var scaler: String?

    @Option(name: .long, help: "Steering layer window, FIRST-LAST (default: the middle-to-late layers).")
    var window: String?

    @Option(name: [.customShort("n"), .long], help: "Monte Carlo samples per layer and modality (N >= 2).")
    var samples: Int = 32

    @Option(name: .long, help: "Noise scale: sigma = per-feature std of the perturbed states times this.")
    var sigma: Double = 1

    @Option(name: .long, help: "Seed of the Monte Carlo noise.")
    var seed: UInt64 = 0

    @Option(name: .long, help: "Functional of the perturbed answer: ce (cross-entropy, default), kl, p-clean.")
    var functional: String = "ce"

    @Option(name: .long, help: "Where the noise goes: kv (K and V of the modality's positions, default) or residual.")
    var target: String = "kv"

    @Option(name: .customLong("text-span"), help: "Text modality positions: context (default) or all-text.")
    var textSpan: String = "context"

    @Flag(name: .customLong("last-token-only"), help: "Steer only the last prompt token and generated tokens.")
    var lastTokenOnly = false

    // Issue 16: the comparability of the two modalities' perturbations.
    @Option(name: .customLong("noise-scale"), help: "Noise size per modality: own (its own spread, default), shared (both modalities' spread), token-count (own, normalised by the position count).")
    var noiseScale: String = "own"

    func artifact(_ given: String?, _ name: String, model: any ModelEngine) -> String { given ?? model.folder + "/amps/" + name }

    func perturbation() throws -> PerturbationSettings {
        try checkOptionBounds()
        var p = PerturbationSettings()
        p.samples = samples
        p.sigmaScale = sigma
        p.seed = seed
        guard let f = Functional(rawValue: functional) else { throw AMPSError.invalidInput("--functional must be ce, kl or p-clean (got '\(functional)')") }
        p.functional = f
        guard let t = PerturbationSettings.Target(rawValue: target) else { throw AMPSError.invalidInput("--target must be kv or residual (got '\(target)')") }
        p.target = t
        guard let ns = NoiseScale(rawValue: noiseScale) else {
            throw AMPSError.invalidInput("--noise-scale must be own, shared or token-count (got '\(noiseScale)')")
        }
        p.noiseScale = ns
        try p.validate()
        return p
    }

    func span() throws -> Probe.TextSpan {
        guard let s = Probe.TextSpan(rawValue: textSpan) else { throw AMPSError.invalidInput("--text-span must be context or all-text (got '\(textSpan)')") }
        return s
    }

    func layerWindow(_ model: any ModelEngine) throws -> ClosedRange<Int> {
        guard let window else { return SteeringSettings.defaultWindow(layers: model.layerCount) }
        return try LayerWindowText.parse(window, layers: model.layerCount)
    }

    func template(_ model: any ModelEngine) throws -> PromptTemplate {
        if promptFile == nil, !FileManager.default.fileExists(atPath: model.folder + "/prompt.json") {
            // A hub checkpoint has no prompt.json of amps': say which forms ship.
            throw AMPSError.file(model.folder, "has no prompt.json; give the prompt form with --prompt-file NAME or a file (shipped: \(DefaultPaths.promptNames.joined(separator: ", ")); MC²: the mc2-* ones)")
        }
        return try PromptTemplate.load(modelFolder: model.folder, override: try promptFile.map(DefaultPaths.promptFile))
    }

    func instances() throws -> InstanceSet {
        if let images {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: images, isDirectory: &isDir), isDir.boolValue else {
                throw AMPSError.file(images, "--images: folder not found")
            }
        }
        let wanted = tasks.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
        let set = try InstanceSet.load(path: data, options: InstanceLoadOptions(imagesFolder: images, skipMissingImages: skipMissingImages,
                                                                               tasks: wanted))
        if set.skippedMissingImages > 0 {
            FileHandle.standardError.write(Data("amps: left out \(set.skippedMissingImages) instance\(set.skippedMissingImages == 1 ? "" : "s") of \(data) without an image (--skip-missing-images); \(set.instances.count) remain\n".utf8))
        }
        return set
    }

    func scoring() throws -> AnswerScoring { try AnswerScoring(name: answer, maxTokens: answerTokens) }

    func steeringVectors(_ model: any ModelEngine) throws -> SteeringVectorSet {
        let path = artifact(vectors, "steering_vectors.safetensors", model: model)
        guard FileManager.default.fileExists(atPath: path) else {
            throw AMPSError.file(path, "steering vectors not found (make them with `amps vectors`)")
        }
        return try SteeringVectorSet.load(path: path, for: model)
    }

    /// Vectors plus whichever adaptive pieces exist (missing ones are simply absent).
    func resources(_ model: any ModelEngine, requireAdaptive: Bool = false) throws -> SteeringResources {
        var r = SteeringResources(vectors: try steeringVectors(model))
        let sp = artifact(scaling, "scaling.json", model: model)
        if FileManager.default.fileExists(atPath: sp) { r.scaling = try ScalingFit.loadRule(path: sp, layers: model.layerCount).0 }
        else if scaling != nil || requireAdaptive { throw AMPSError.file(sp, "scaling rule not found (make it with `amps fit`)") }
        let lp = artifact(scaler, "scaler.safetensors", model: model)
        if FileManager.default.fileExists(atPath: lp) { r.scaler = try LearnedScaler.load(path: lp, for: model) }
        else if scaler != nil || requireAdaptive { throw AMPSError.file(lp, "learned scaler not found (make it with `amps fit`)") }
        return r
    }
}

/// A progress bar on stderr when stderr is a terminal; silent otherwise.
struct ProgressBar {
    let label: String
    let enabled = isatty(2) != 0
    func update(_ done: Int, _ total: Int) {
        guard enabled, total > 0 else { return }
        let width = 30, filled = width * done / total
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        FileHandle.standardError.write(Data("\r\(label) [\(bar)] \(done)/\(total)".utf8))
        if done == total { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}

/// Formats a value that may be undefined; never prints NaN as a number.
func fmt(_ v: Double?, _ f: String = "%.3f") -> String {
    guard let v, v.isFinite else { return "n/a" }
    return String(format: f, v)
}

func pct(_ v: Double?) -> String { fmt(v.map { $0 * 100 }, "%.1f") }

/// JSON value for an optional double (null when missing or not finite).
func jnum(_ v: Double?) -> Any { (v?.isFinite ?? false) ? v! : NSNull() }

extension String {
    func leftPad(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
    func rightPad(_ n: Int) -> String { count >= n ? self : self + String(repeating: " ", count: n - count) }
}
