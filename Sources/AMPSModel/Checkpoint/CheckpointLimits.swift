/// The largest values amps takes from a checkpoint folder, checked as each file is read and
/// before anything is sized by them (docs/RELIABILITY.md, "Limits", gives the reasons). Each
/// is well above every released LLaVA-family model and well below what would make one
/// allocation run away with the machine.
public enum CheckpointLimits {
    /// num_hidden_layers, text and vision (Llama-3.1-405B has 126).
    public static let layers = 1024
    /// hidden_size, text and vision (405B: 16384).
    public static let hiddenSize = 65_536
    /// intermediate_size (405B: 53248).
    public static let intermediateSize = 262_144
    /// num_attention_heads, num_key_value_heads (405B: 128).
    public static let heads = 1024
    /// head_dim (largest in use: 256).
    public static let headDim = 1024
    /// vocab_size (Gemma 3: 262144).
    public static let vocabSize = 4_194_304
    /// max_position_embeddings and sliding_window (largest in use: 10M).
    public static let positions = 16_777_216
    /// vision_config.image_size and patch_size (SigLIP-so400m at 896).
    public static let imageSize = 8192
    /// processor_config.json num_additional_image_tokens (LlavaProcessor: 0 or 1).
    public static let additionalImageTokens = 1024
    /// tokenizer.json's size (the largest released, Gemma 3's, is 33 MB).
    public static let tokenizerFileBytes = 512 * 1024 * 1024
    /// Every other JSON file read through `JSONObject` (configs, prompt files, scaling.json:
    /// kilobytes in practice).
    public static let jsonFileBytes = 64 * 1024 * 1024
    /// The hand-written tokenizer.json reader's nesting depth (real files nest under 10;
    /// Foundation's JSON reader, used for every other JSON file, stops at 512).
    public static let tokenizerJSONDepth = 128
}
