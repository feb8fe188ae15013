import AMPSCore

/// One prompt ready for the model: token ids after image-token expansion, and the
/// processed image.
public struct ModelInput: @unchecked Sendable {
    public var ids: [Int]
    public var pixelValues: Tensor?   // [3, H, W]
    /// Positions of the image tokens in `ids`.
    public var imagePositions: [Int]
    public var length: Int { ids.count }
}
