import AMPSCore
import Foundation

/// The parts of `processor_config.json` that turn one `<image>` marker into the right
/// number of image tokens (LlavaProcessor's expansion rule).
public struct ProcessorSettings: Sendable {
    public var imageToken: String
    public var patchSize: Int?
    public var numAdditionalImageTokens: Int
    public var featureSelect: String?

    public static func load(folder: String) throws -> ProcessorSettings {
        let path = folder + "/processor_config.json"
        guard FileManager.default.fileExists(atPath: path) else {
            return ProcessorSettings(imageToken: "<image>", patchSize: nil, numAdditionalImageTokens: 0, featureSelect: nil)
        }
        let j = try JSONObject.load(path)
        // LlavaProcessor uses 0 or 1 (the class token); a huge value overflowed the count.
        let additional = try j.int("num_additional_image_tokens", default: 0)
        guard (0...CheckpointLimits.additionalImageTokens).contains(additional) else {
            throw AMPSError.file(path, "'num_additional_image_tokens' is \(additional), outside 0...\(CheckpointLimits.additionalImageTokens)")
        }
        return ProcessorSettings(imageToken: try j.string("image_token", default: "<image>"),
                                 patchSize: j.has("patch_size") ? try j.size("patch_size", atMost: CheckpointLimits.imageSize) : nil,
                                 numAdditionalImageTokens: additional,
                                 featureSelect: j.has("vision_feature_select_strategy") ? try j.string("vision_feature_select_strategy") : nil)
    }

    /// Image tokens for an image of `size`x`size` pixels, as LlavaProcessor counts them:
    /// (H/patch)(W/patch) + num_additional_image_tokens, minus one for the "default"
    /// strategy (which drops the class token).
    public func imageTokenCount(imageSize: Int, config: LlavaConfig) -> Int {
        guard let patch = patchSize else { return config.imageTokenCount }
        let side = imageSize / patch
        var n = side * side + numAdditionalImageTokens
        if (featureSelect ?? config.featureSelect.rawValue) == "default" { n -= 1 }
        return n
    }
}
