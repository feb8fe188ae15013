/// How much of a split a part takes.
public enum LayoutLength: Hashable, Sendable {
    /// Exactly this many cells (less if the space runs out).
    case fixed(Int)
    /// A share of what the fixed parts leave, proportional to the weight.
    case flexible(weight: Int)

    public static let fill = LayoutLength.flexible(weight: 1)
}

/// Splits a rect into rows or columns, the way panes are laid out side by side.
public enum Layout {
    public enum Axis: Sendable { case horizontal, vertical }

    /// Parts in order, left to right (`.horizontal`) or top to bottom (`.vertical`).
    /// Fixed parts are served first; flexible parts share the rest by weight, the remainder
    /// of the integer division going to the earliest parts so the total is exact.
    public static func split(_ rect: Rect, _ axis: Axis, _ lengths: [LayoutLength]) -> [Rect] {
        let total = axis == .horizontal ? rect.width : rect.height
        let sizes = distribute(total, lengths)
        var result: [Rect] = []
        var offset = 0
        for size in sizes {
            switch axis {
            case .horizontal:
                result.append(Rect(x: rect.x + offset, y: rect.y, width: size, height: rect.height))
            case .vertical:
                result.append(Rect(x: rect.x, y: rect.y + offset, width: rect.width, height: size))
            }
            offset += size
        }
        return result
    }

    /// Cell counts for `lengths` sharing `total` cells.
    public static func distribute(_ total: Int, _ lengths: [LayoutLength]) -> [Int] {
        var remaining = max(0, total)
        var sizes = [Int](repeating: 0, count: lengths.count)
        for (i, length) in lengths.enumerated() {
            if case .fixed(let n) = length {
                sizes[i] = min(max(0, n), remaining)
                remaining -= sizes[i]
            }
        }
        let weights = lengths.map { length -> Int in
            if case .flexible(let w) = length { return max(0, w) }
            return 0
        }
        let weightSum = weights.reduce(0, +)
        guard weightSum > 0 else { return sizes }
        var given = 0
        for i in lengths.indices where weights[i] > 0 {
            sizes[i] = remaining * weights[i] / weightSum
            given += sizes[i]
        }
        var leftover = remaining - given
        for i in lengths.indices where weights[i] > 0 && leftover > 0 {
            sizes[i] += 1
            leftover -= 1
        }
        return sizes
    }
}
