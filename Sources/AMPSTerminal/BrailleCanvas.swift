/// A grid of braille dots, 2 wide and 4 tall per cell, for plotting at 2x4 the terminal
/// resolution. Each cell remembers the colour of the last dot set in it (a cell has a
/// single foreground colour, so overlapping series share cells last-writer-wins).
public struct BrailleCanvas: Sendable {
    public let columns: Int
    public let rows: Int
    private var bits: [UInt8]
    private var colors: [Color]

    public init(columns: Int, rows: Int) {
        self.columns = max(0, columns)
        self.rows = max(0, rows)
        bits = Array(repeating: 0, count: self.columns * self.rows)
        colors = Array(repeating: .default, count: self.columns * self.rows)
    }

    public var dotWidth: Int { columns * 2 }
    public var dotHeight: Int { rows * 4 }

    /// Bit for the dot at (dx, dy) within a cell, per the Unicode braille layout:
    /// dots 1-3 down the left column, 4-6 down the right, 7 and 8 on the bottom row.
    static func bit(dx: Int, dy: Int) -> UInt8 {
        switch (dx, dy) {
        case (0, 3): return 0x40
        case (1, 3): return 0x80
        case (0, _): return UInt8(1 << dy)
        default: return UInt8(1 << (dy + 3))
        }
    }

    /// Sets the dot at (x, y) in dot coordinates; out of range is ignored.
    public mutating func set(x: Int, y: Int, color: Color) {
        guard x >= 0, x < dotWidth, y >= 0, y < dotHeight else { return }
        let index = (y / 4) * columns + x / 2
        bits[index] |= BrailleCanvas.bit(dx: x % 2, dy: y % 4)
        colors[index] = color
    }

    /// The braille character of a cell, or nil when no dot is set there.
    public func glyph(column: Int, row: Int) -> Character? {
        guard column >= 0, column < columns, row >= 0, row < rows else { return nil }
        let value = bits[row * columns + column]
        guard value != 0 else { return nil }
        return Character(Unicode.Scalar(0x2800 + UInt32(value))!)
    }

    public func color(column: Int, row: Int) -> Color { colors[row * columns + column] }
}
