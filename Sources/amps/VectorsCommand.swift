import AMPSCore
import AMPSMethod
import AMPSModel
import ArgumentParser
import Foundation

struct VectorsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vectors",
        abstract: "Compute per-layer steering vectors: mean h_l(follow image) - h_l(follow text) over a calibration split.")

    @OptionGroup var model: ModelOptions
    @OptionGroup var method: MethodOptions

    @Option(name: .long, help: "Prompt position: -1 (last prompt token) or -2.")
    var position: Int = -1

    @Option(name: .long, help: "Output file (default: amps/steering_vectors.safetensors in the model folder).")
    var output: String?

    @Option(name: .long, help: "Use at most this many instances.")
    var limit: Int?

    func run() throws {
        try reportingErrors {
            try checkOptionBounds()
            let m = try model.startEngine()
            var set = try method.instances().instances
            if let limit { set = Array(set.prefix(max(0, limit))) }
            let bar = ProgressBar(label: "vectors")
            let v = try SteeringVectorSet.compute(model: m, template: try method.template(m), instances: set, position: position,
                                                  progress: bar.update)
            let out = output ?? method.artifact(method.vectors, "steering_vectors.safetensors", model: m)
            try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: out).deletingLastPathComponent().path, withIntermediateDirectories: true)
            try v.save(path: out)
            print("steering vectors from \(v.count) prompts -> \(out)")
            for l in 0..<v.layerCount { print(String(format: "  layer %2d  |u| = %.4f", l, v.norm(l))) }
        }
    }
}
