/// A 24-bit colour value.
public struct RGB: Hashable, Sendable {
    public var r: UInt8
    public var g: UInt8
    public var b: UInt8

    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) {
        self.r = r
        self.g = g
        self.b = b
    }

    /// Squared Euclidean distance in RGB space. Plain Euclidean (not a perceptual metric) so
    /// that nearest-colour results can be checked by hand in tests.
    public func squaredDistance(to other: RGB) -> Int {
        let dr = Int(r) - Int(other.r)
        let dg = Int(g) - Int(other.g)
        let db = Int(b) - Int(other.b)
        return dr * dr + dg * dg + db * db
    }

    /// Relative luminance in 0...1 (Rec. 709 weights on the encoded values; good enough to
    /// pick a readable text colour or a shade glyph).
    public var luminance: Double {
        (0.2126 * Double(r) + 0.7152 * Double(g) + 0.0722 * Double(b)) / 255.0
    }

    /// Linear interpolation; `t` is clamped to 0...1.
    public func mixed(with other: RGB, _ t: Double) -> RGB {
        let t = min(1, max(0, t))
        func lerp(_ a: UInt8, _ b: UInt8) -> UInt8 {
            UInt8((Double(a) + (Double(b) - Double(a)) * t).rounded())
        }
        return RGB(lerp(r, other.r), lerp(g, other.g), lerp(b, other.b))
    }

    /// "#rrggbb"
    public var hex: String {
        let digits = Array("0123456789abcdef")
        var text = "#"
        for v in [r, g, b] {
            text.append(digits[Int(v >> 4)])
            text.append(digits[Int(v & 0xF)])
        }
        return text
    }
}
