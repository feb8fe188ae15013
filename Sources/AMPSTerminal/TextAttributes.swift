/// Character attributes. They survive every colour mode, which is why monochrome themes
/// lean on them (reverse for selection, bold for focus).
public struct TextAttributes: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let bold = TextAttributes(rawValue: 1 << 0)
    public static let dim = TextAttributes(rawValue: 1 << 1)
    public static let reverse = TextAttributes(rawValue: 1 << 2)
    public static let underline = TextAttributes(rawValue: 1 << 3)

    /// Names in a fixed order, for snapshot legends.
    public var names: [String] {
        var result: [String] = []
        if contains(.bold) { result.append("bold") }
        if contains(.dim) { result.append("dim") }
        if contains(.reverse) { result.append("reverse") }
        if contains(.underline) { result.append("underline") }
        return result
    }
}
