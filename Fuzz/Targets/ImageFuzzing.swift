import AMPSModel
import Foundation

/// Image files (PNG and JPEG by signature) decoded and preprocessed by a CLIP processor.
enum ImageFuzzing {
    static let processor: ImageProcessor? = try? ImageProcessor.load(folder: FuzzFixtures.tinyModel)

    static let decodeAndPreprocess = FuzzTarget(name: "image") { data in
        let image = try RGBImage.decode([UInt8](data), path: "fuzz image")
        if let processor { _ = try processor.pixelValues(image, expectedSize: 16, path: "fuzz image") }
    }
}
