/// A rectangle of cells. Width and height are never negative: constructors and operations
/// clamp, so layout code can subtract freely and get an empty rect instead of a crash.
public struct Rect: Hashable, Sendable, CustomStringConvertible {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = max(0, width)
        self.height = max(0, height)
    }

    public init(size: Size) { self.init(x: 0, y: 0, width: size.width, height: size.height) }

    public static let zero = Rect(x: 0, y: 0, width: 0, height: 0)

    /// Exclusive right edge.
    public var maxX: Int { x + width }
    /// Exclusive bottom edge.
    public var maxY: Int { y + height }
    public var isEmpty: Bool { width == 0 || height == 0 }
    public var size: Size { Size(width: width, height: height) }

    public func contains(x px: Int, y py: Int) -> Bool {
        px >= x && px < maxX && py >= y && py < maxY
    }

    public func intersection(_ other: Rect) -> Rect {
        let left = max(x, other.x), top = max(y, other.y)
        let right = min(maxX, other.maxX), bottom = min(maxY, other.maxY)
        return Rect(x: left, y: top, width: right - left, height: bottom - top)
    }

    public func inset(by amount: Int) -> Rect {
        inset(top: amount, left: amount, bottom: amount, right: amount)
    }

    public func inset(top: Int = 0, left: Int = 0, bottom: Int = 0, right: Int = 0) -> Rect {
        Rect(x: x + left, y: y + top, width: width - left - right, height: height - top - bottom)
    }

    /// A rect of the given size centred in this one (clamped to fit).
    public func centered(width w: Int, height h: Int) -> Rect {
        let cw = min(w, width), ch = min(h, height)
        return Rect(x: x + (width - cw) / 2, y: y + (height - ch) / 2, width: cw, height: ch)
    }

    /// The row at offset `dy` from the top (empty if outside).
    public func row(_ dy: Int) -> Rect {
        guard dy >= 0, dy < height else { return Rect(x: x, y: y + dy, width: width, height: 0) }
        return Rect(x: x, y: y + dy, width: width, height: 1)
    }

    /// Splits off `n` rows at the top: (top part, the rest).
    public func splitTop(_ n: Int) -> (top: Rect, rest: Rect) {
        let h = min(max(0, n), height)
        return (Rect(x: x, y: y, width: width, height: h), Rect(x: x, y: y + h, width: width, height: height - h))
    }

    /// Splits off `n` rows at the bottom: (the rest, bottom part).
    public func splitBottom(_ n: Int) -> (rest: Rect, bottom: Rect) {
        let h = min(max(0, n), height)
        return (Rect(x: x, y: y, width: width, height: height - h),
                Rect(x: x, y: maxY - h, width: width, height: h))
    }

    /// Splits off `n` columns on the left: (left part, the rest).
    public func splitLeft(_ n: Int) -> (left: Rect, rest: Rect) {
        let w = min(max(0, n), width)
        return (Rect(x: x, y: y, width: w, height: height), Rect(x: x + w, y: y, width: width - w, height: height))
    }

    /// Splits off `n` columns on the right: (the rest, right part).
    public func splitRight(_ n: Int) -> (rest: Rect, right: Rect) {
        let w = min(max(0, n), width)
        return (Rect(x: x, y: y, width: width - w, height: height),
                Rect(x: maxX - w, y: y, width: w, height: height))
    }

    public var description: String { "(\(x),\(y) \(width)x\(height))" }
}
