import AMPSCore
import AMPSModel
import Foundation
import XCTest

/// PNG/JPEG decoding and the CLIP / SigLIP image processors against Pillow and transformers 5.24's
/// PIL backend (Fixtures/images, written by tools/make_image_fixtures.py).
final class ImageProcessorParityTests: XCTestCase {
    static let root = Fixture.root + "/images"

    private static let expected: [String: Any] = {
        let data = try! Data(contentsOf: URL(fileURLWithPath: root + "/expected.json"))
        return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
    }()

    private var images: [String: [String: Any]] { Self.expected["images"] as! [String: [String: Any]] }
    private var configs: [String] { Self.expected["configs"] as! [String] }

    private func stem(_ name: String) -> String { String(name[..<name.lastIndex(of: ".")!]) }

    private func processor(_ config: String) throws -> ImageProcessor {
        try ImageProcessor(json: try JSONObject.load(Self.root + "/\(config).json"))
    }

    /// (largest channel difference, number of differing bytes)
    private func compare(_ a: RGBImage, _ b: RGBImage) -> (Int, Int) {
        guard a.width == b.width, a.height == b.height else { return (Int.max, Int.max) }
        var worst = 0, count = 0
        for i in a.pixels.indices where a.pixels[i] != b.pixels[i] {
            worst = max(worst, abs(Int(a.pixels[i]) - Int(b.pixels[i])))
            count += 1
        }
        return (worst, count)
    }

    func testDecodesMatchPillow() throws {
        XCTAssertGreaterThanOrEqual(images.count, 10)
        for (name, info) in images.sorted(by: { $0.key < $1.key }) {
            let img = try RGBImage.load(path: Self.root + "/" + name)
            XCTAssertEqual(img.width, (info["width"] as! NSNumber).intValue, name)
            XCTAssertEqual(img.height, (info["height"] as! NSNumber).intValue, name)
            var sum = 0, weighted = 0
            for (i, p) in img.pixels.enumerated() { sum += Int(p); weighted += (i % 65521 + 1) * Int(p) }
            let exactSums = sum == (info["decoded_sum"] as! NSNumber).intValue && weighted == (info["decoded_weighted_sum"] as! NSNumber).intValue
            let whole = Self.root + "/" + stem(name) + ".decoded.png"
            let strided = Self.root + "/" + stem(name) + ".decoded_stride8.png"
            if FileManager.default.fileExists(atPath: whole) {
                let (worst, count) = compare(img, try RGBImage.load(path: whole))
                XCTAssertEqual(worst, 0, "\(name): \(count) bytes differ from Pillow's decode, by up to \(worst)")
            } else if FileManager.default.fileExists(atPath: strided) {
                let want = try RGBImage.load(path: strided)
                var sub: [UInt8] = []
                for y in stride(from: 0, to: img.height, by: 8) {
                    for x in stride(from: 0, to: img.width, by: 8) { sub += img.pixels[((y * img.width + x) * 3)..<((y * img.width + x) * 3 + 3)] }
                }
                let (worst, count) = compare(RGBImage(width: want.width, height: want.height, pixels: sub), want)
                XCTAssertEqual(worst, 0, "\(name): \(count) sampled bytes differ from Pillow's decode, by up to \(worst)")
            }
            XCTAssertTrue(exactSums, "\(name): the decode's checksums differ from Pillow's")
        }
    }

    /// The 8-bit image after resize + center crop equals Pillow's resize and transformers' crop exactly.
    func testResizedAndCroppedImagesMatchExactly() throws {
        for config in configs {
            let proc = try processor(config)
            for name in images.keys.sorted() {
                let got = try proc.preprocess(try RGBImage.load(path: Self.root + "/" + name))
                let want = try RGBImage.load(path: Self.root + "/\(stem(name)).\(config).png")
                XCTAssertEqual(got.width, want.width, "\(name) \(config)")
                XCTAssertEqual(got.height, want.height, "\(name) \(config)")
                let (worst, count) = compare(got, want)
                XCTAssertEqual(worst, 0, "\(name) \(config): \(count) bytes differ from Pillow, by up to \(worst)")
            }
        }
    }

    /// pixel_values within 1e-3 of transformers' (they are in fact equal to float32 rounding).
    func testPixelValuesMatchTransformers() throws {
        let file = try SafeTensorsFile(path: Self.root + "/expected.safetensors")
        XCTAssertGreaterThanOrEqual(file.entries.count, 20)
        var worst: Float = 0
        for key in file.entries.keys.sorted() {
            let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
            let proc = try processor(parts[0])
            let want = try file.tensor(key)
            let got = try proc.pixelValues(try RGBImage.load(path: Self.root + "/" + parts[1]), expectedSize: want.shape[1], path: parts[1])
            XCTAssertEqual(got.shape, want.shape, key)
            assertClose(got, want, tolerance: 1e-3, key)
            if got.count == want.count { worst = max(worst, maxAbsDiff(got.data, want.data, count: got.count)) }
        }
        XCTAssertLessThanOrEqual(worst, 1e-5, "largest difference \(worst)")
    }

    func testSettingsOfBothProcessors() throws {
        let clip = try processor("clip"), siglip = try processor("siglip")
        XCTAssertEqual(clip.kind, .clip)
        XCTAssertEqual(clip.shortestEdge, 24)
        XCTAssertTrue(clip.doCenterCrop)
        XCTAssertEqual(clip.resample, .bicubic)
        XCTAssertEqual(siglip.kind, .siglip)
        XCTAssertEqual(siglip.resizeHeight, 32)
        XCTAssertEqual(siglip.resizeWidth, 32)
        XCTAssertFalse(siglip.doCenterCrop)
        XCTAssertEqual(siglip.mean, [0.5, 0.5, 0.5])
        XCTAssertEqual(try processor("clip_bilinear").resample, .bilinear)
        // shortest_edge 336 keeps the aspect ratio (int() of the scaled long side), then crops 336.
        var p = clip
        p.shortestEdge = 336
        XCTAssertTrue(p.resizedSize(height: 500, width: 333) == (height: 504, width: 336))
        XCTAssertTrue(p.resizedSize(height: 300, width: 400) == (height: 336, width: 448))
    }

    private func assertUnsupported(_ raw: [String: Any], mentions: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try ImageProcessor(json: JSONObject(raw: raw, path: "m/preprocessor_config.json")), file: file, line: line) { error in
            guard case let AMPSError.unsupported(message) = error else { return XCTFail("\(error) is not .unsupported", file: file, line: line) }
            XCTAssertTrue(message.contains("m/preprocessor_config.json") && message.contains(mentions), message, file: file, line: line)
        }
    }

    func testUnsupportedSettingsAreNamed() {
        assertUnsupported(["image_processor_type": "CLIPImageProcessor", "resample": 1], mentions: "resample 1")
        assertUnsupported(["image_processor_type": "CLIPImageProcessor", "resample": 0], mentions: "resample 0")
        assertUnsupported(["image_processor_type": "CLIPImageProcessor", "size": ["shortest_edge": 224, "longest_edge": 448]], mentions: "longest_edge")
        assertUnsupported(["image_processor_type": "ConvNextImageProcessor"], mentions: "ConvNextImageProcessor")
    }
}

/// libjpeg's errors come back as AMPSErrors naming the file (no longjmp through Swift).
final class JPEGDecodingTests: XCTestCase {
    private func valid() throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: ImageProcessorParityTests.root + "/rgb444_41x29.jpg")))
    }

    private func assertFileError(_ bytes: [UInt8], mentions: String, file: StaticString = #filePath, line: UInt = #line) {
        let path = NSTemporaryDirectory() + "amps-jpeg-test-\(UUID().uuidString).jpg"
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        defer { try? FileManager.default.removeItem(atPath: path) }
        XCTAssertThrowsError(try RGBImage.load(path: path), file: file, line: line) { error in
            guard case let AMPSError.file(p, message) = error else { return XCTFail("\(error) is not AMPSError.file", file: file, line: line) }
            XCTAssertEqual(p, path, file: file, line: line)
            XCTAssertTrue(message.contains(mentions), "\(message) does not mention \(mentions)", file: file, line: line)
        }
    }

    func testValidJPEGDecodes() throws {
        let img = try RGBImage.decode(try valid(), path: "x.jpg")
        XCTAssertEqual(img.width, 41)
        XCTAssertEqual(img.height, 29)
    }

    func testCorruptHeaderIsAnError() throws {
        var b = try valid()
        // The baseline frame header (FF C0): an impossible sample precision.
        let sof = (0..<(b.count - 1)).first { b[$0] == 0xFF && b[$0 + 1] == 0xC0 }!
        b[sof + 4] = 7
        assertFileError(b, mentions: "JPEG does not decode")
        // A Huffman table with bogus counts.
        var c = try valid()
        let dht = (0..<(c.count - 1)).first { c[$0] == 0xFF && c[$0 + 1] == 0xC4 }!
        for k in 0..<16 { c[dht + 5 + k] = 0xFF }
        assertFileError(c, mentions: "JPEG does not decode")
    }

    func testTruncatedJPEGIsAnError() throws {
        let b = try valid()
        assertFileError(Array(b[..<(b.count / 2)]), mentions: "truncated")
        assertFileError(Array(b[..<40]), mentions: "JPEG does not decode")
    }

    func testNotAJPEGIsAnError() {
        assertFileError(Array("this is not an image".utf8), mentions: "not a PNG or JPEG")
        assertFileError([], mentions: "not a PNG or JPEG")
        assertFileError([0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10] + Array(repeating: 0x41, count: 64), mentions: "JPEG does not decode")
    }
}
