import AMPSCore
import Foundation

/// The CLIP image processor's settings (`preprocessor_config.json`, or the
/// `image_processor` section of `processor_config.json` as transformers 5 writes it).
public struct ImageProcessor: Sendable {
    public var doResize: Bool
    public var shortestEdge: Int?
    public var doCenterCrop: Bool
    public var cropHeight: Int
    public var cropWidth: Int
    public var doRescale: Bool
    public var rescaleFactor: Float
    public var doNormalize: Bool
    public var mean: [Float]
    public var std: [Float]

    public init(json j: JSONObject) throws {
        let type = try j.string("image_processor_type", default: "CLIPImageProcessor")
        guard type.hasPrefix("CLIPImageProcessor") else {
            throw AMPSError.unsupported("\(j.path): image processor '\(type)' is not supported (supported: CLIPImageProcessor)")
        }
        doResize = try j.bool("do_resize", default: true)
        if let size = try j.optionalObject("size") {
            shortestEdge = size.has("shortest_edge") ? try size.size("shortest_edge") : nil
        }
        doCenterCrop = try j.bool("do_center_crop", default: true)
        let crop = try j.optionalObject("crop_size")
        cropHeight = try crop?.size("height", default: 224) ?? 224
        cropWidth = try crop?.size("width", default: 224) ?? 224
        doRescale = try j.bool("do_rescale", default: true)
        rescaleFactor = Float(try j.double("rescale_factor", default: 1.0 / 255.0))
        doNormalize = try j.bool("do_normalize", default: true)
        mean = j.has("image_mean") ? try j.doubles("image_mean").map(Float.init) : [0.48145466, 0.4578275, 0.40821073]
        std = j.has("image_std") ? try j.doubles("image_std").map(Float.init) : [0.26862954, 0.26130258, 0.27577711]
        guard mean.count == 3, std.count == 3, std.allSatisfy({ $0 > 0 }) else {
            throw AMPSError.file(j.path, "image_mean and image_std must hold 3 values, std positive")
        }
    }

    /// Reads the settings from a checkpoint folder.
    public static func load(folder: String) throws -> ImageProcessor {
        let pre = folder + "/preprocessor_config.json"
        if FileManager.default.fileExists(atPath: pre) { return try ImageProcessor(json: try JSONObject.load(pre)) }
        let proc = folder + "/processor_config.json"
        if FileManager.default.fileExists(atPath: proc) {
            return try ImageProcessor(json: try JSONObject.load(proc).object("image_processor"))
        }
        throw AMPSError.file(folder, "no preprocessor_config.json or processor_config.json with an image_processor section")
    }

    /// pixel_values [3, H, W]: channel-first, rescaled and normalized.
    public func pixelValues(_ image: RGBImage, expectedSize: Int, path: String) throws -> Tensor {
        var h = image.height, w = image.width
        if doResize, let e = shortestEdge, min(h, w) != e {
            throw AMPSError.unsupported("\(path): image is \(w)x\(h) but the processor resizes to shortest edge \(e); resizing is not supported yet")
        }
        var x0 = 0, y0 = 0
        if doCenterCrop && (h != cropHeight || w != cropWidth) {
            guard h >= cropHeight, w >= cropWidth else {
                throw AMPSError.invalidInput("\(path): image \(w)x\(h) is smaller than the crop \(cropWidth)x\(cropHeight)")
            }
            // transformers' center_crop: top = (h - crop_h) // 2, left = (w - crop_w) // 2
            y0 = (h - cropHeight) / 2; x0 = (w - cropWidth) / 2
            h = cropHeight; w = cropWidth
        }
        guard h == expectedSize, w == expectedSize else {
            throw AMPSError.invalidInput("\(path): image is \(w)x\(h) after preprocessing, the vision tower expects \(expectedSize)x\(expectedSize)")
        }
        let t = Tensor(zeros: [3, h, w])
        for c in 0..<3 {
            for y in 0..<h {
                for x in 0..<w {
                    var v = Float(image.pixels[((y + y0) * image.width + (x + x0)) * 3 + c])
                    if doRescale { v *= rescaleFactor }
                    if doNormalize { v = (v - mean[c]) / std[c] }
                    t.data[(c * h + y) * w + x] = v
                }
            }
        }
        return t
    }
}
