import AMPSModel
import Foundation

/// The committed models and files the targets load around the fuzzed one, each read once per
/// process: a fuzzed config.json is tried against real weights, fuzzed steering vectors
/// against a real model.
enum FuzzFixtures {
    static let root = FuzzTargets.repositoryRoot
    /// The smallest transformers-made checkpoint (CLIP + Llama, 2 layers).
    static let tinyModel = root + "/Tests/AMPSModelTests/Fixtures/llava_clip_llama_default"
    static let shardedModel = root + "/Tests/AMPSModelTests/Fixtures/llava_clip_llama_sharded"
    /// The shipped default model, which the shipped artifacts belong to.
    static let defaultModel = root + "/samples/model"

    static let defaultLlava: LlavaModel? = try? LlavaModel(folder: defaultModel)
    static let tinyLlava: LlavaModel? = try? LlavaModel(folder: tinyModel)
    static let tinyImage: RGBImage? = try? RGBImage.load(path: tinyModel + "/image.png")

    /// A scratch copy of a model folder whose files are links to the originals, except the
    /// ones a target overwrites (which it writes as plain files in place of the links).
    static func linkedCopy(of folder: String, as name: String, replacing: Set<String>) -> String {
        let copy = ScratchFiles.folder + "/" + name
        let fm = FileManager.default
        if !fm.fileExists(atPath: copy) {
            try? fm.createDirectory(atPath: copy, withIntermediateDirectories: true)
            for f in (try? fm.contentsOfDirectory(atPath: folder)) ?? [] where !replacing.contains(f) {
                try? fm.createSymbolicLink(atPath: copy + "/" + f, withDestinationPath: folder + "/" + f)
            }
        }
        return copy
    }
}
