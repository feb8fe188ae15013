import AMPSTerminal
import Foundation

/// Instance images as the terminal draws them: decoded on first use, shrunk, and kept for
/// the most recently shown few hundred (a COCO photo is ~1 MB decoded, ~37 kB shrunk).
/// Only the UI thread draws, but the lock keeps it safe to share anyway.
public final class ThumbnailCache: @unchecked Sendable {
    public static let maxSide = 128
    public static let capacity = 256
    private let decode: (String) -> RGBImage?
    private let lock = NSLock()
    private var images: [String: RGBImage?] = [:]
    private var recent: [String] = []

    public init(decode: @escaping (String) -> RGBImage?) { self.decode = decode }

    public func thumbnail(for path: String) -> RGBImage? {
        lock.lock()
        if let hit = images[path] { lock.unlock(); return hit }
        lock.unlock()
        let image = decode(path)?.shrunk(toFit: ThumbnailCache.maxSide)
        lock.lock()
        images[path] = .some(image)
        recent.append(path)
        if recent.count > ThumbnailCache.capacity { images[recent.removeFirst()] = nil }
        lock.unlock()
        return image
    }
}
