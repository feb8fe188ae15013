import AMPSCore
import CJPEG
import Foundation

extension RGBImage {
    /// JPEG through libjpeg-turbo (the library Pillow uses, with the same defaults: islow IDCT, fancy
    /// upsampling). libjpeg's fatal errors come back as a message from the C glue in CJPEG/shim.h.
    static func decodeJPEG(_ bytes: [UInt8], path: String) throws -> RGBImage {
        var image = amps_jpeg_image()
        let ok = bytes.withUnsafeBufferPointer { amps_jpeg_decode($0.baseAddress, UInt($0.count), RGBImage.maxPixels, &image) }
        guard ok != 0, let raw = image.pixels else {
            let msg = withUnsafeBytes(of: image.message) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            throw AMPSError.file(path, "JPEG does not decode: \(msg)")
        }
        defer { amps_jpeg_free(&image) }
        let w = Int(image.width), h = Int(image.height), n = w * h
        var pixels = [UInt8](repeating: 0, count: n * 3)
        switch image.components {
        case 1:
            for i in 0..<n { let g = raw[i]; pixels[i * 3] = g; pixels[i * 3 + 1] = g; pixels[i * 3 + 2] = g }
        case 3:
            pixels.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: raw, count: n * 3) }
        case 4:
            // Pillow reads every 4-channel JPEG as Adobe-inverted CMYK ("CMYK;I"), then converts:
            // R = (255 - K) - (255 - K) * C / 255 with C, K the inverted values, rounded as its MULDIV255.
            for i in 0..<n {
                let nk = Int(raw[i * 4 + 3])  // 255 - K, as K = 255 - stored
                for c in 0..<3 {
                    let cyan = 255 - Int(raw[i * 4 + c])
                    let t = cyan * nk + 128
                    let v = nk - (((t >> 8) + t) >> 8)
                    pixels[i * 3 + c] = UInt8(max(0, min(255, v)))
                }
            }
        default:
            throw AMPSError.unsupported("\(path): JPEG with \(image.components) colour components is not supported")
        }
        return RGBImage(width: w, height: h, pixels: pixels)
    }
}
