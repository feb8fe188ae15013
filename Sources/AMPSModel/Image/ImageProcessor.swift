import AMPSCore
import Foundation

/// The CLIP or SigLIP image processor's settings (`preprocessor_config.json`, or the
/// `image_processor` section of `processor_config.json` as transformers 5 writes it), applied as
/// transformers 5.24's PIL backend does: resize (Pillow, bicubic by default), center crop, rescale,
/// normalize.
public struct ImageProcessor: Sendable {
    public enum Kind: String, Sendable {
        case clip = "CLIPImageProcessor"
        case siglip = "SiglipImageProcessor"
    }

    public var kind: Kind
    public var doResize: Bool
    /// `size.shortest_edge`: the shorter side becomes this, the aspect ratio is kept (CLIP).
    public var shortestEdge: Int?
    /// `size.height` / `size.width`: a fixed output size (SigLIP).
    public var resizeHeight: Int?
    public var resizeWidth: Int?
    public var resample: ImageResample
    public var doCenterCrop: Bool
    public var cropHeight: Int
    public var cropWidth: Int
    public var doRescale: Bool
    public var rescaleFactor: Double
    public var doNormalize: Bool
    public var mean: [Float]
    public var std: [Float]
    /// The file the settings came from, named in errors.
    public var configPath: String

    /// The longest side a resize or crop may ask for, and the most pixels a resized image may
    /// have (the decoder's own bound, `RGBImage.maxPixels`).
    public static let maxSide = 16_384

    public init(json j: JSONObject) throws {
        configPath = j.path
        let type = try j.string("image_processor_type", default: "CLIPImageProcessor")
        // "...Fast" and "...Pil" name the same processing (transformers falls back to PIL without torchvision).
        if type.hasPrefix("CLIPImageProcessor") { kind = .clip }
        else if type.hasPrefix("SiglipImageProcessor") { kind = .siglip }
        else {
            throw AMPSError.unsupported("\(j.path): image processor '\(type)' is not supported (supported: CLIPImageProcessor, SiglipImageProcessor)")
        }
        doResize = try j.bool("do_resize", default: true)
        let side = ImageProcessor.maxSide
        if j.raw["size"] is NSNumber {
            shortestEdge = try j.size("size", atMost: side)  // a bare number means shortest_edge in transformers
        } else if let size = try j.optionalObject("size") {
            let keys = Set(size.raw.filter { !($0.value is NSNull) }.keys)
            if keys == ["shortest_edge"] {
                shortestEdge = try size.size("shortest_edge", atMost: side)
            } else if keys == ["height", "width"] {
                resizeHeight = try size.size("height", atMost: side); resizeWidth = try size.size("width", atMost: side)
            } else {
                throw AMPSError.unsupported("\(j.path): image processor size \(keys.sorted()) is not supported (supported: {shortest_edge} or {height, width})")
            }
        } else if kind == .clip {
            shortestEdge = 224
        } else {
            resizeHeight = 224; resizeWidth = 224
        }
        let r = try j.int("resample", default: ImageResample.bicubic.rawValue)
        guard let filter = ImageResample(rawValue: r) else {
            throw AMPSError.unsupported("\(j.path): image processor resample \(r) is not supported (supported: 3 bicubic, 2 bilinear)")
        }
        resample = filter
        doCenterCrop = try j.bool("do_center_crop", default: kind == .clip)
        if j.raw["crop_size"] is NSNumber {
            let n = try j.size("crop_size", atMost: side)
            cropHeight = n; cropWidth = n
        } else {
            let crop = try j.optionalObject("crop_size")
            cropHeight = try crop?.size("height", default: 224, atMost: side) ?? 224
            cropWidth = try crop?.size("width", default: 224, atMost: side) ?? 224
        }
        doRescale = try j.bool("do_rescale", default: true)
        rescaleFactor = try j.double("rescale_factor", default: 1.0 / 255.0)
        // 255 times the factor must stay a sane float: 1e308 made infinities and then NaN.
        guard rescaleFactor.isFinite, rescaleFactor > 0, rescaleFactor <= 1 else {
            throw AMPSError.file(j.path, "'rescale_factor' must be a number above 0 and at most 1 (got \(rescaleFactor))")
        }
        doNormalize = try j.bool("do_normalize", default: true)
        let defaultMean: [Float] = kind == .clip ? [0.48145466, 0.4578275, 0.40821073] : [0.5, 0.5, 0.5]
        let defaultStd: [Float] = kind == .clip ? [0.26862954, 0.26130258, 0.27577711] : [0.5, 0.5, 0.5]
        mean = try ImageProcessor.triple(j, "image_mean", default: defaultMean)
        std = try ImageProcessor.triple(j, "image_std", default: defaultStd)
        guard mean.count == 3, std.count == 3, std.allSatisfy({ $0 > 0 && $0.isFinite }), mean.allSatisfy(\.isFinite) else {
            throw AMPSError.file(j.path, "image_mean and image_std must hold 3 finite values, std positive")
        }
    }

    /// A per-channel list, or one number for all channels.
    private static func triple(_ j: JSONObject, _ key: String, default d: [Float]) throws -> [Float] {
        guard j.has(key) else { return d }
        if let v = j.raw[key] as? NSNumber, !(j.raw[key] is Bool) { return Array(repeating: v.floatValue, count: 3) }
        return try j.doubles(key).map(Float.init)
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

    /// The (height, width) the resize step produces for an image of `height` x `width`
    /// (`Int.max` on a side that does not fit an integer: `preprocess` refuses those).
    public func resizedSize(height: Int, width: Int) -> (height: Int, width: Int) {
        guard doResize else { return (height, width) }
        if let e = shortestEdge {
            // transformers' get_resize_output_image_size(default_to_square=False).
            let (short, long) = width <= height ? (width, height) : (height, width)
            let newLong = Int(exactly: (Double(e) * Double(long) / Double(short)).rounded(.towardZero)) ?? Int.max
            return width <= height ? (newLong, e) : (e, newLong)
        }
        return (resizeHeight ?? height, resizeWidth ?? width)
    }

    /// The image after resize and center crop, still 8-bit (what the processor rescales).
    /// The resize target is checked before anything is allocated for it: a 1x1,000,000 image
    /// resized to a shortest edge of 224 would ask for 150 GB.
    public func preprocess(_ image: RGBImage, path: String = "image") throws -> RGBImage {
        var img = image
        if doResize {
            let (h, w) = resizedSize(height: img.height, width: img.width)
            let (pixels, overflow) = h.multipliedReportingOverflow(by: w)
            guard h >= 1, w >= 1, !overflow, pixels <= RGBImage.maxPixels else {
                throw AMPSError.invalidInput("\(path): a \(image.width)x\(image.height) image resizes to \(w == Int.max ? "an unbounded" : String(w))x\(h == Int.max ? "unbounded" : String(h)) under \(configPath), above the limit of \(RGBImage.maxPixels) pixels")
            }
            img = img.resized(width: w, height: h, filter: resample)
        }
        if doCenterCrop { img = img.centerCropped(height: cropHeight, width: cropWidth) }
        return img
    }

    /// The (height, width) `preprocess` will produce, computed without touching pixels.
    public func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        doCenterCrop ? (cropHeight, cropWidth) : resizedSize(height: height, width: width)
    }

    /// pixel_values [3, H, W]: channel-first, rescaled and normalized.
    public func pixelValues(_ image: RGBImage, expectedSize: Int, path: String) throws -> Tensor {
        // A size the vision tower cannot take is refused before resizing (or padding, for a
        // crop larger than the image) allocates for it.
        let (oh, ow) = outputSize(height: image.height, width: image.width)
        guard oh == expectedSize, ow == expectedSize else {
            throw AMPSError.invalidInput("\(path): image is \(image.width)x\(image.height), \(ow == Int.max ? "too large" : "\(ow)x\(oh)") after preprocessing (\(configPath)), the vision tower expects \(expectedSize)x\(expectedSize)")
        }
        let img = try preprocess(image, path: path)
        let h = img.height, w = img.width
        guard h == expectedSize, w == expectedSize else {
            throw AMPSError.invalidInput("\(path): image is \(image.width)x\(image.height), \(w)x\(h) after preprocessing, the vision tower expects \(expectedSize)x\(expectedSize)")
        }
        let t = Tensor(zeros: [3, h, w])
        for c in 0..<3 {
            for y in 0..<h {
                for x in 0..<w {
                    // transformers: float64 multiply then float32, then (x - mean) / std in float32.
                    var v = Float(img.pixels[(y * w + x) * 3 + c])
                    if doRescale { v = Float(Double(img.pixels[(y * w + x) * 3 + c]) * rescaleFactor) }
                    if doNormalize { v = (v - mean[c]) / std[c] }
                    t.data[(c * h + y) * w + x] = v
                }
            }
        }
        return t
    }
}

extension RGBImage {
    /// transformers' center_crop: top = (h - crop_h) // 2, left = (w - crop_w) // 2; an image smaller
    /// than the crop is first padded with zeros (black), centered, as that function does.
    public func centerCropped(height cropH: Int, width cropW: Int) -> RGBImage {
        if cropH == height && cropW == width { return self }
        func floorDiv2(_ v: Int) -> Int { v >= 0 ? v / 2 : -((-v + 1) / 2) }
        var top = floorDiv2(height - cropH), left = floorDiv2(width - cropW)
        var src = self
        if top < 0 || left < 0 {
            let newH = max(cropH, height), newW = max(cropW, width)
            let topPad = (newH - height + 1) / 2, leftPad = (newW - width + 1) / 2
            var padded = [UInt8](repeating: 0, count: newH * newW * 3)
            for y in 0..<height {
                let dst = ((y + topPad) * newW + leftPad) * 3
                padded[dst..<(dst + width * 3)] = pixels[(y * width * 3)..<((y + 1) * width * 3)]
            }
            src = RGBImage(width: newW, height: newH, pixels: padded)
            top += topPad; left += leftPad
        }
        let y0 = max(0, top), y1 = min(src.height, top + cropH)
        let x0 = max(0, left), x1 = min(src.width, left + cropW)
        var out = [UInt8](repeating: 0, count: (y1 - y0) * (x1 - x0) * 3)
        for y in y0..<y1 {
            let s = (y * src.width + x0) * 3, d = (y - y0) * (x1 - x0) * 3
            out[d..<(d + (x1 - x0) * 3)] = src.pixels[s..<(s + (x1 - x0) * 3)]
        }
        return RGBImage(width: x1 - x0, height: y1 - y0, pixels: out)
    }
}
