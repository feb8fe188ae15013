import AMPSCore
import CPNG
import Foundation

extension RGBImage {
    /// PNG through libpng's simplified API, read as 8-bit RGBA (palette, grey, tRNS and alpha
    /// expanded), then alpha composited onto white as transformers' convert_to_rgb does with Pillow.
    static func decodePNG(_ bytes: [UInt8], path: String) throws -> RGBImage {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        func message() -> String {
            withUnsafeBytes(of: image.message) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
        }
        let ok = bytes.withUnsafeBytes { png_image_begin_read_from_memory(&image, $0.baseAddress, $0.count) }
        guard ok != 0 else {
            let msg = message()
            png_image_free(&image)
            throw AMPSError.file(path, "PNG does not decode: \(msg)")
        }
        image.format = UInt32(PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA)  // PNG_FORMAT_RGBA
        let w = Int(image.width), h = Int(image.height)
        // The size from the header (IHDR), before anything is allocated for the pixels.
        guard w > 0, h > 0, w * h <= RGBImage.maxPixels else {
            png_image_free(&image)
            throw AMPSError.file(path, "PNG image size \(w)x\(h) is above the limit of \(RGBImage.maxPixels) pixels")
        }
        var rgba = [UInt8](repeating: 0, count: w * h * 4)
        let done = bytes.withUnsafeBytes { _ in
            rgba.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, Int32(w * 4), nil) }
        }
        guard done != 0 else {
            let msg = message()
            png_image_free(&image)
            throw AMPSError.file(path, "PNG does not decode: \(msg)")
        }
        var pixels = [UInt8](repeating: 0, count: w * h * 3)
        for i in 0..<(w * h) {
            let a = rgba[i * 4 + 3]
            for c in 0..<3 { pixels[i * 3 + c] = a == 255 ? rgba[i * 4 + c] : RGBImage.overWhite(rgba[i * 4 + c], alpha: a) }
        }
        return RGBImage(width: w, height: h, pixels: pixels)
    }
}
