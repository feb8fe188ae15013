import Foundation

/// Where the image of an instance without an `image` field lives: MC² names only a
/// COCO-2014 `image_id`, and users keep COCO in its own layout (train2014/, val2014/) or
/// flat, so the candidates are tried in a fixed, documented order (docs/FORMATS.md).
public struct ImageLocator: Sendable {
    public let folder: String

    public init(folder: String) { self.folder = folder }

    /// Every path tried for `imageId`, in order.
    public func candidates(imageId id: String) -> [String] {
        var out = [join(id)]
        for ext in ["jpg", "jpeg", "png"] { out.append(join("\(id).\(ext)")) }
        if let padded = Self.cocoNumber(id) {
            for split in ["train2014", "val2014"] { out.append(join("\(split)/COCO_\(split)_\(padded).jpg")) }
            for split in ["train2014", "val2014"] { out.append(join("COCO_\(split)_\(padded).jpg")) }
        }
        for split in ["train2014", "val2014"] where id.hasPrefix("COCO_\(split)_") {
            // An id that already is a COCO file name, kept in its split's folder.
            let name = id.contains(".") ? id : id + ".jpg"
            out.append(join("\(split)/\(name)"))
        }
        out.append(join("images/\(id).png"))   // this project's own layout
        var seen = Set<String>()
        return out.filter { seen.insert($0).inserted }
    }

    /// The first candidate that is a regular file (not a folder).
    public func locate(imageId id: String) -> String? {
        candidates(imageId: id).first(where: Self.isFile)
    }

    static func isFile(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && !isDir.boolValue
    }

    /// A COCO id as its file names spell it: 12 digits, zero-padded.
    static func cocoNumber(_ id: String) -> String? {
        guard !id.isEmpty, id.count <= 12, id.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return String(repeating: "0", count: 12 - id.count) + id
    }

    private func join(_ name: String) -> String { folder.hasSuffix("/") ? folder + name : folder + "/" + name }
}
