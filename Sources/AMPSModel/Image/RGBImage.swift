import AMPSCore
import Foundation

/// An 8-bit RGB image, row-major, 3 bytes a pixel.
public struct RGBImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public var pixels: [UInt8]

    /// Larger images are refused before decoding.
    static let maxPixels = 64_000_000
    /// Larger image files are refused before they are read (a stored PNG of `maxPixels` RGBA
    /// pixels is 256 MB).
    static let maxFileBytes = 512 * 1024 * 1024

    /// An image file's bytes as they are (to send to an engine on another host), read with
    /// the checks of `load`: a regular file, at most 512 MiB.
    public static func fileBytes(path: String) throws -> [UInt8] { try BoundedFileRead.bytes(path, limit: maxFileBytes) }

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * 3)
        self.width = width; self.height = height; self.pixels = pixels
    }

    /// Decodes a PNG (libpng) or JPEG (libjpeg-turbo) file, chosen by its signature, to RGB as
    /// transformers' `convert_to_rgb` sees it through Pillow: grey is repeated into the three channels,
    /// transparency is composited onto white, CMYK is converted as Pillow converts it.
    public static func load(path: String) throws -> RGBImage {
        guard FileManager.default.fileExists(atPath: path) else { throw AMPSError.file(path, "image file not found") }
        return try decode(try BoundedFileRead.bytes(path, limit: maxFileBytes), path: path)
    }

    /// Decodes image file bytes; `path` names the image in errors.
    public static func decode(_ bytes: [UInt8], path: String) throws -> RGBImage {
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return try decodePNG(bytes, path: path) }
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return try decodeJPEG(bytes, path: path) }
        throw AMPSError.file(path, "is not a PNG or JPEG image (unknown file signature)")
    }

    /// Pillow's `Image.alpha_composite(white, image)` for one channel value `v` of alpha `a`
    /// (its integer arithmetic with 7 extra bits, so results match to the last bit).
    @inline(__always) static func overWhite(_ v: UInt8, alpha a: UInt8) -> UInt8 {
        if a == 0 { return 255 }
        let alpha = UInt32(a)
        let outa255 = alpha * 255 + 255 * (255 - alpha)
        let coef1 = alpha * 255 * 255 * 128 / outa255
        let coef2 = 255 * 128 - coef1
        let t = UInt32(v) * coef1 + 255 * coef2 + (0x80 << 7)
        return UInt8((((t >> 8) + t) >> 8) >> 7)
    }
}
