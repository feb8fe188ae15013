import AMPSCore
import Foundation

/// `vision_config` of a LLaVA checkpoint.
public struct VisionConfig: Sendable {
    public enum Kind: String, Sendable { case clip = "clip_vision_model", siglip = "siglip_vision_model" }
    public var kind: Kind
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var layers: Int
    public var heads: Int
    public var imageSize: Int
    public var patchSize: Int
    public var channels: Int
    public var layerNormEps: Float
    public var activation: Activation
    public var patchesPerSide: Int { imageSize / patchSize }
    public var patchCount: Int { patchesPerSide * patchesPerSide }

    init(_ j: JSONObject) throws {
        let type = try j.string("model_type", default: "clip_vision_model")
        guard let k = Kind(rawValue: type) else {
            throw AMPSError.unsupported("\(j.path): vision model_type '\(type)' is not supported (supported: clip_vision_model, siglip_vision_model)")
        }
        kind = k
        hiddenSize = try j.size("hidden_size", default: 768, atMost: CheckpointLimits.hiddenSize)
        intermediateSize = try j.size("intermediate_size", default: 3072, atMost: CheckpointLimits.intermediateSize)
        layers = try j.size("num_hidden_layers", default: 12, atMost: CheckpointLimits.layers)
        heads = try j.size("num_attention_heads", default: 12, atMost: CheckpointLimits.heads)
        imageSize = try j.size("image_size", default: 224, atMost: CheckpointLimits.imageSize)
        patchSize = try j.size("patch_size", default: 32, atMost: CheckpointLimits.imageSize)
        channels = try j.size("num_channels", default: 3)
        layerNormEps = Float(try j.positive("layer_norm_eps", default: 1e-5))
        activation = try j.activation("hidden_act", default: "quick_gelu")
        // image_size need not be a multiple of patch_size: the patch convolution (stride =
        // kernel = patch, no padding) drops the remainder, as SigLIP-so400m's 384 / 14 -> 27.
        guard hiddenSize % heads == 0, imageSize >= patchSize, channels == 3 else {
            throw AMPSError.file(j.path, "vision_config is inconsistent (hidden_size must be a multiple of num_attention_heads, image_size at least patch_size, num_channels 3)")
        }
    }
}

/// `text_config` of a LLaVA checkpoint: a Llama-style decoder.
public struct TextConfig: Sendable {
    public enum Kind: String, Sendable { case llama, qwen2, mistral }
    public var kind: Kind
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var layers: Int
    public var heads: Int
    public var kvHeads: Int
    public var headDim: Int
    public var vocabSize: Int
    /// max_position_embeddings: the longest sequence (prompt plus generated tokens) accepted.
    public var maxPositions: Int
    public var rmsNormEps: Float
    public var ropeTheta: Double
    public var activation: Activation
    /// Biases on q/k/v (Llama's attention_bias; always on for Qwen2) and on o_proj.
    public var qkvBias: Bool
    public var outputBias: Bool
    public var mlpBias: Bool
    /// Mistral/Qwen2 sliding-window attention span, when enabled.
    public var slidingWindow: Int?
    public var tieWordEmbeddings: Bool
    public var bosTokenId: Int?
    public var eosTokenIds: [Int]

    init(_ j: JSONObject, tieDefault: Bool) throws {
        let type = try j.string("model_type", default: "llama")
        guard let k = TextConfig.Kind(rawValue: type) else {
            throw AMPSError.unsupported("\(j.path): text model_type '\(type)' is not supported (supported: llama, qwen2, mistral)")
        }
        kind = k
        hiddenSize = try j.size("hidden_size", default: 4096, atMost: CheckpointLimits.hiddenSize)
        intermediateSize = try j.size("intermediate_size", default: 11008, atMost: CheckpointLimits.intermediateSize)
        layers = try j.size("num_hidden_layers", default: 32, atMost: CheckpointLimits.layers)
        heads = try j.size("num_attention_heads", default: 32, atMost: CheckpointLimits.heads)
        kvHeads = try j.size("num_key_value_heads", default: heads, atMost: CheckpointLimits.heads)
        headDim = try j.size("head_dim", default: max(1, hiddenSize / heads), atMost: CheckpointLimits.headDim)
        vocabSize = try j.size("vocab_size", default: 32000, atMost: CheckpointLimits.vocabSize)
        // transformers' defaults when the key is absent: LlamaConfig 2048, Qwen2Config 32768, MistralConfig 131072.
        let defaultPositions = k == .llama ? 2048 : (k == .qwen2 ? 32768 : 131_072)
        maxPositions = try j.size("max_position_embeddings", default: defaultPositions, atMost: CheckpointLimits.positions)
        rmsNormEps = Float(try j.positive("rms_norm_eps", default: 1e-6))
        // transformers 5 moved rope settings into `rope_parameters`; older configs keep
        // `rope_theta` / `rope_scaling` at the top level.
        var theta = try j.positive("rope_theta", default: 10000)
        var ropeType = "default"
        if let rp = try j.optionalObject("rope_parameters") {
            theta = try rp.positive("rope_theta", default: theta)
            ropeType = try rp.string("rope_type", default: "default")
        }
        if let rs = try j.optionalObject("rope_scaling") {
            ropeType = try rs.string("rope_type", default: try rs.string("type", default: "default"))
        }
        guard ropeType == "default" else {
            throw AMPSError.unsupported("\(j.path): rope_type '\(ropeType)' is not supported (supported: default)")
        }
        ropeTheta = theta
        activation = try j.activation("hidden_act", default: "silu")
        let attentionBias = try j.bool("attention_bias", default: false)
        qkvBias = k == .qwen2 ? true : attentionBias
        outputBias = k == .qwen2 ? false : attentionBias
        mlpBias = try j.bool("mlp_bias", default: false)
        let useSliding = k == .mistral ? true : try j.bool("use_sliding_window", default: false)
        slidingWindow = useSliding && j.has("sliding_window") ? try j.size("sliding_window", atMost: CheckpointLimits.positions) : nil
        tieWordEmbeddings = try j.bool("tie_word_embeddings", default: tieDefault)
        bosTokenId = j.has("bos_token_id") ? try j.int("bos_token_id") : nil
        eosTokenIds = j.has("eos_token_id") ? try j.integers("eos_token_id") : []
        guard heads % kvHeads == 0, headDim > 0, headDim % 2 == 0 else {
            throw AMPSError.file(j.path, "text_config is inconsistent (num_attention_heads must be a multiple of num_key_value_heads, head_dim positive and even)")
        }
        if try j.int("pretraining_tp", default: 1) != 1 {
            throw AMPSError.unsupported("\(j.path): pretraining_tp other than 1 is not supported")
        }
    }
}

/// `config.json` of a `LlavaForConditionalGeneration` checkpoint.
public struct LlavaConfig: Sendable {
    public enum FeatureSelect: String, Sendable { case `default`, full }
    public var vision: VisionConfig
    public var text: TextConfig
    public var imageTokenId: Int
    public var projectorActivation: Activation
    public var projectorBias: Bool
    /// Indices into the vision tower's hidden states (0 = embeddings after pre-layernorm);
    /// several are concatenated along the feature dimension.
    public var visionFeatureLayers: [Int]
    public var featureSelect: FeatureSelect

    /// The families the PyTorch engine (engines/torch) runs.
    public static let protocolEngineFamilies = ["llava", "llava_next", "qwen2_vl", "qwen2_5_vl"]

    public init(path: String) throws {
        let j = try JSONObject.load(path)
        let type = try j.string("model_type")
        guard type == "llava" else {
            if LlavaConfig.protocolEngineFamilies.contains(type) {
                throw AMPSError.unsupported("\(path): model_type '\(type)' is not supported by the swift engine (it runs llava); use --engine torch")
            }
            throw AMPSError.unsupported("\(path): model_type '\(type)' is not supported (the swift engine runs llava; the torch engine also \(LlavaConfig.protocolEngineFamilies.filter { $0 != "llava" }.joined(separator: ", ")))")
        }
        vision = try VisionConfig(try j.object("vision_config"))
        text = try TextConfig(try j.object("text_config"), tieDefault: try j.bool("tie_word_embeddings", default: false))
        if j.has("image_token_index") { imageTokenId = try j.int("image_token_index") }
        else { imageTokenId = try j.int("image_token_id", default: 32000) }
        projectorActivation = try j.activation("projector_hidden_act", default: "gelu")
        projectorBias = try j.bool("multimodal_projector_bias", default: true)
        let count = vision.layers + 1
        let layers = j.has("vision_feature_layer") ? try j.integers("vision_feature_layer") : [-2]
        guard !layers.isEmpty else { throw AMPSError.file(path, "'vision_feature_layer' is an empty list") }
        visionFeatureLayers = try layers.map { l in
            let idx = l < 0 ? count + l : l
            guard idx >= 0, idx < count else {
                throw AMPSError.file(path, "vision_feature_layer \(l) is outside the vision tower's \(count) hidden states")
            }
            return idx
        }
        let sel = try j.string("vision_feature_select_strategy", default: "default")
        guard let fs = FeatureSelect(rawValue: sel) else {
            throw AMPSError.unsupported("\(path): vision_feature_select_strategy '\(sel)' is not supported (default, full)")
        }
        featureSelect = fs
        if imageTokenId < 0 || text.vocabSize <= imageTokenId {
            throw AMPSError.file(path, "image token id \(imageTokenId) is outside the vocabulary of \(text.vocabSize)")
        }
    }

    /// Image tokens per image after feature selection: the tower's tokens (patches, plus
    /// CLIP's class token), minus the first for the "default" strategy.
    public var imageTokenCount: Int {
        vision.patchCount + (vision.kind == .clip ? 1 : 0) - (featureSelect == .default ? 1 : 0)
    }
}
