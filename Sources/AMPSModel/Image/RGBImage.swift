import AMPSCore
import CPNG
import Foundation

/// An 8-bit RGB image, row-major, 3 bytes a pixel.
public struct RGBImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * 3)
        self.width = width; self.height = height; self.pixels = pixels
    }

    /// Decodes a PNG file through libpng (any bit depth, palette, grey or alpha is
    /// converted to 8-bit RGB; alpha is composited on black as libpng's simplified API does).
    public static func load(path: String) throws -> RGBImage {
        guard FileManager.default.fileExists(atPath: path) else { throw AMPSError.file(path, "image file not found") }
        guard let data = FileManager.default.contents(atPath: path) else { throw AMPSError.file(path, "image cannot be read") }
        let bytes = [UInt8](data)
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return try decodePNG(bytes, path: path) }
        if bytes.starts(with: [0xFF, 0xD8]) {
            throw AMPSError.unsupported("\(path): JPEG images are not supported yet (PNG only)")
        }
        throw AMPSError.file(path, "not a PNG image (unknown file signature)")
    }

    static func decodePNG(_ bytes: [UInt8], path: String) throws -> RGBImage {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        let ok = bytes.withUnsafeBytes { png_image_begin_read_from_memory(&image, $0.baseAddress, $0.count) }
        guard ok != 0 else {
            let msg = withUnsafeBytes(of: image.message) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            png_image_free(&image)
            throw AMPSError.file(path, "PNG does not decode: \(msg)")
        }
        image.format = UInt32(PNG_FORMAT_RGB)
        let w = Int(image.width), h = Int(image.height)
        guard w > 0, h > 0, w * h <= 64_000_000 else {
            png_image_free(&image)
            throw AMPSError.file(path, "PNG has an unusable size \(w)x\(h)")
        }
        var pixels = [UInt8](repeating: 0, count: w * h * 3)
        let done = bytes.withUnsafeBytes { _ in
            pixels.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, Int32(w * 3), nil) }
        }
        guard done != 0 else {
            let msg = withUnsafeBytes(of: image.message) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            png_image_free(&image)
            throw AMPSError.file(path, "PNG does not decode: \(msg)")
        }
        return RGBImage(width: w, height: h, pixels: pixels)
    }
}
