import AMPSCore
import Foundation

/// A `LlavaForConditionalGeneration` checkpoint folder, loaded for inference: config,
/// weights (memory-mapped), tokenizer, image processor and the three networks.
public final class LlavaModel: @unchecked Sendable {
    public let folder: String
    public let name: String
    public let config: LlavaConfig
    public let tokenizer: Tokenizer
    public let imageProcessor: ImageProcessor
    public let processor: ProcessorSettings
    public let vision: VisionTower
    public let projector: MultiModalProjector
    public let decoder: LlamaDecoder
    let weights: WeightStore
    /// End-of-sequence ids: generation_config.json's when present, else text_config's.
    public let eosTokenIds: Set<Int>
    let featureMemo = ImageFeatureMemo()

    public init(folder: String) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDir), isDir.boolValue else {
            throw AMPSError.file(folder, "model folder not found")
        }
        self.folder = folder
        name = URL(fileURLWithPath: folder).standardizedFileURL.lastPathComponent
        config = try LlavaConfig(path: folder + "/config.json")
        tokenizer = try Tokenizer(path: folder + "/tokenizer.json")
        imageProcessor = try ImageProcessor.load(folder: folder)
        processor = try ProcessorSettings.load(folder: folder)
        weights = try WeightStore(folder: folder)
        let w = weights
        let st = folder + "/model.safetensors"
        guard let vp = w.prefix(among: ["vision_tower.vision_model.", "vision_tower.", "model.vision_tower.vision_model.", "model.vision_tower."],
                                probe: "embeddings.patch_embedding.weight") else {
            throw AMPSError.file(st, "no vision tower weights (vision_tower.*embeddings.patch_embedding.weight) found")
        }
        guard let pp = w.prefix(among: ["multi_modal_projector.", "model.multi_modal_projector."], probe: "linear_1.weight") else {
            throw AMPSError.file(st, "no multi_modal_projector weights found")
        }
        guard let dp = w.prefix(among: ["language_model.model.", "model.language_model.", "model.language_model.model.", "language_model."],
                                probe: "embed_tokens.weight") else {
            throw AMPSError.file(st, "no language model weights (…embed_tokens.weight) found")
        }
        let gen = folder + "/generation_config.json"
        if FileManager.default.fileExists(atPath: gen), case let g = try JSONObject.load(gen), g.has("eos_token_id") {
            eosTokenIds = Set(try g.integers("eos_token_id"))
        } else {
            eosTokenIds = Set(config.text.eosTokenIds)
        }
        // Layer counts against the weights before the towers are built from them.
        let cfg = folder + "/config.json"
        let textLayers = w.layerCount(under: dp + "layers."), visionLayers = w.layerCount(under: vp + "encoder.layers.")
        guard textLayers >= config.text.layers else {
            throw AMPSError.file(cfg, "'text_config.num_hidden_layers' is \(config.text.layers) but the weights hold \(textLayers) decoder layers")
        }
        guard visionLayers >= config.vision.layers else {
            throw AMPSError.file(cfg, "'vision_config.num_hidden_layers' is \(config.vision.layers) but the weights hold \(visionLayers) vision layers")
        }
        vision = try VisionTower(config: config.vision, weights: w, prefix: vp)
        projector = try MultiModalProjector(weights: w, prefix: pp,
                                            inFeatures: config.vision.hiddenSize * config.visionFeatureLayers.count,
                                            outFeatures: config.text.hiddenSize,
                                            activation: config.projectorActivation, bias: config.projectorBias)
        let head = ["language_model.lm_head.weight", "lm_head.weight", "model.lm_head.weight"].first { w.has($0) }
        if head == nil && !config.text.tieWordEmbeddings {
            throw AMPSError.file(st, "tensor 'lm_head.weight' is missing (and tie_word_embeddings is false)")
        }
        decoder = try LlamaDecoder(config: config.text, weights: w, prefix: dp, lmHeadName: head)
        let expected = processor.imageTokenCount(imageSize: config.vision.imageSize, config: config)
        guard expected == config.imageTokenCount else {
            throw AMPSError.file(folder + "/processor_config.json",
                                 "expands <image> to \(expected) tokens but the vision tower yields \(config.imageTokenCount) features")
        }
    }

    public var layerCount: Int { decoder.layerCount }
    public var hiddenSize: Int { config.text.hiddenSize }
    public var vocabSize: Int { config.text.vocabSize }

    // MARK: inputs

    /// Tokenizes `prompt` (with one `<image>` marker) and processes the image file.
    public func prepare(prompt: String, imagePath: String) throws -> ModelInput {
        try prepare(prompt: prompt, image: try RGBImage.load(path: imagePath), imageName: imagePath)
    }

    public func prepare(prompt: String, image: RGBImage, imageName: String) throws -> ModelInput {
        let marker = processor.imageToken
        let markers = prompt.components(separatedBy: marker).count - 1
        guard markers == 1 else {
            throw AMPSError.invalidInput(markers == 0
                ? "prompt has no \(marker) marker; this is a vision model and needs one where the image goes"
                : "prompt has \(markers) \(marker) markers but one image was given")
        }
        let pixels = try imageProcessor.pixelValues(image, expectedSize: config.vision.imageSize, path: imageName)
        let n = config.imageTokenCount
        let expanded = prompt.replacingOccurrences(of: marker, with: String(repeating: marker, count: n))
        let ids = try tokenizer.encode(expanded)
        let positions = ids.indices.filter { ids[$0] == config.imageTokenId }
        guard positions.count == n else {
            throw AMPSError.invalidInput("tokenizer.json: \(marker) became \(positions.count) image tokens (id \(config.imageTokenId)), expected \(n)")
        }
        try checkSequenceLength(prompt: ids.count)
        if let w = config.text.slidingWindow, ids.count > w {
            throw AMPSError.unsupported("prompt of \(ids.count) tokens exceeds the sliding window of \(w); sliding-window attention is not supported")
        }
        if let bad = ids.first(where: { $0 < 0 || $0 >= vocabSize }) {
            throw AMPSError.invalidInput("token id \(bad) is outside the model's vocabulary of \(vocabSize)")
        }
        return ModelInput(ids: ids, pixelValues: pixels, imagePositions: positions)
    }

    /// Refuses a sequence longer than the model's positions (max_position_embeddings): the
    /// prompt's tokens plus `generating` new ones.
    public func checkSequenceLength(prompt tokens: Int, generating: Int = 0) throws {
        let limit = config.text.maxPositions
        guard tokens + generating > limit else { return }
        let what = generating > 0 ? "prompt of \(tokens) tokens plus \(generating) new tokens" : "prompt of \(tokens) tokens"
        throw AMPSError.invalidInput("\(what) exceeds the model's max_position_embeddings of \(limit) (\(folder)/config.json)")
    }

    /// Token ids of a text with image markers expanded, without the post-processor's
    /// special tokens — used to locate spans (e.g. the text context) inside a prompt.
    public func encodeFragment(_ text: String) throws -> [Int] {
        let marker = processor.imageToken
        let expanded = text.replacingOccurrences(of: marker, with: String(repeating: marker, count: config.imageTokenCount))
        return try tokenizer.encode(expanded, addSpecialTokens: false)
    }

    /// Projected image features: pixels [3, H, W] -> [imageTokens, D].
    public func imageFeatures(_ pixels: Tensor) -> Tensor {
        let c = config, dv = c.vision.hiddenSize
        let batched = Tensor(borrowing: pixels.data, shape: [1] + pixels.shape, owner: pixels)
        let states = vision.hiddenStates(batched, keep: Set(c.visionFeatureLayers))
        let skip = c.featureSelect == .default ? 1 : 0
        let n = vision.tokenCount - skip
        let k = c.visionFeatureLayers.count
        let features = Tensor(zeros: [n, dv * k])
        for (j, layer) in c.visionFeatureLayers.enumerated() {
            let st = states[layer]!
            for r in 0..<n { (features.data + r * dv * k + j * dv).update(from: st.data + (r + skip) * dv, count: dv) }
        }
        return projector(features)
    }

    /// Drops the memoised image features (benchmarks that must run the vision tower).
    public func forgetImageFeatures() { featureMemo.forget() }

    /// Input embeddings with the image features in the image-token rows: [T, D].
    public func embeddings(_ input: ModelInput) -> Tensor {
        let x = decoder.embed(input.ids)
        if let pv = input.pixelValues {
            let f = featureMemo.features(for: pv) { imageFeatures(pv) }
            let d = hiddenSize
            for (i, p) in input.imagePositions.enumerated() { (x.data + p * d).update(from: f.data + i * d, count: d) }
        }
        return x
    }
}

/// The projected features of the last few images seen, keyed by their exact pixel
/// values: the option orders and instruction variants of one instance share their image,
/// so the vision tower runs once for them, also when parallel workers interleave
/// instances. The lock makes it safe to share.
final class ImageFeatureMemo: @unchecked Sendable {
    static let capacity = 8
    private let lock = NSLock()
    private var entries: [(pixels: Tensor, features: Tensor)] = []  // most recent last

    func forget() {
        lock.lock(); entries = []; lock.unlock()
    }

    func features(for pv: Tensor, compute: () -> Tensor) -> Tensor {
        lock.lock()
        if let i = entries.lastIndex(where: { $0.pixels.hasSameValues(as: pv) }) {
            let e = entries.remove(at: i)
            entries.append(e)
            lock.unlock()
            return e.features
        }
        lock.unlock()
        let f = compute()
        lock.lock()
        entries.append((pv.copy(), f))
        if entries.count > ImageFeatureMemo.capacity { entries.removeFirst() }
        lock.unlock()
        return f
    }
}
