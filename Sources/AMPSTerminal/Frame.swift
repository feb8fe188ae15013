/// An in-memory grid of cells: what one screenful should look like.
///
/// Widgets draw into a `Frame`; the terminal backend copies it to the screen. Nothing here
/// touches a terminal, so tests render frames and compare their text.
/// Every write is clipped to the frame (and to an optional clip rect), so widgets never
/// need to check bounds themselves.
public struct Frame: Hashable, Sendable {
    public let width: Int
    public let height: Int
    /// Row-major, `width * height` cells.
    public private(set) var cells: [Cell]

    public init(width: Int, height: Int, fill: Cell = .blank) {
        self.width = max(0, width)
        self.height = max(0, height)
        self.cells = Array(repeating: fill, count: self.width * self.height)
    }

    public init(size: Size) { self.init(width: size.width, height: size.height) }

    public var bounds: Rect { Rect(x: 0, y: 0, width: width, height: height) }
    public var size: Size { Size(width: width, height: height) }

    /// Reading outside the frame gives a blank cell; writing outside is ignored.
    public subscript(x: Int, y: Int) -> Cell {
        get {
            guard x >= 0, x < width, y >= 0, y < height else { return .blank }
            return cells[y * width + x]
        }
        set {
            guard x >= 0, x < width, y >= 0, y < height else { return }
            cells[y * width + x] = newValue
        }
    }

    /// Writes one glyph, clipped to the frame and to `clip` when given.
    public mutating func put(_ glyph: Character, x: Int, y: Int, style: Style = .plain, clip: Rect? = nil) {
        if let clip, !clip.contains(x: x, y: y) { return }
        self[x, y] = Cell(Frame.displayable(glyph), style: style)
    }

    /// Writes `text` left to right starting at (x, y), one column per character, clipped to
    /// the frame and to `clip`. Does not wrap. Returns the column after the last character
    /// (whether or not it was visible), so calls can be chained.
    @discardableResult
    public mutating func put(_ text: String, x: Int, y: Int, style: Style = .plain, clip: Rect? = nil) -> Int {
        var column = x
        for glyph in text {
            put(glyph, x: column, y: y, style: style, clip: clip)
            column += 1
        }
        return column
    }

    /// Sets every cell of `rect` (clipped) to `cell`.
    public mutating func fill(_ rect: Rect, with cell: Cell) {
        let area = rect.intersection(bounds)
        guard !area.isEmpty else { return }
        let clean = Cell(Frame.displayable(cell.glyph), style: cell.style)
        for row in area.y..<area.maxY {
            let start = row * width
            for column in area.x..<area.maxX { cells[start + column] = clean }
        }
    }

    public mutating func fill(_ rect: Rect, glyph: Character = " ", style: Style = .plain) {
        fill(rect, with: Cell(glyph, style: style))
    }

    /// Restyles the cells of `rect`, keeping their glyphs (e.g. a selection highlight laid
    /// over already drawn text).
    public mutating func setStyle(_ style: Style, in rect: Rect) {
        let area = rect.intersection(bounds)
        guard !area.isEmpty else { return }
        for row in area.y..<area.maxY {
            for column in area.x..<area.maxX { cells[row * width + column].style = style }
        }
    }

    /// Adds attributes to the cells of `rect`, keeping their glyphs and colours.
    public mutating func addAttributes(_ attributes: TextAttributes, in rect: Rect) {
        let area = rect.intersection(bounds)
        guard !area.isEmpty else { return }
        for row in area.y..<area.maxY {
            for column in area.x..<area.maxX { cells[row * width + column].attributes.formUnion(attributes) }
        }
    }

    public mutating func clear() { fill(bounds, with: .blank) }

    /// Copies `other` with its top-left corner at (x, y), clipped.
    public mutating func blit(_ other: Frame, x: Int, y: Int) {
        for row in 0..<other.height {
            for column in 0..<other.width {
                self[x + column, y + row] = other[column, row]
            }
        }
    }

    /// The frame as the given colour mode would show it (every colour down-converted).
    public func converted(to mode: ColorMode) -> Frame {
        var copy = self
        for i in copy.cells.indices {
            copy.cells[i].foreground = mode.convert(copy.cells[i].foreground)
            copy.cells[i].background = mode.convert(copy.cells[i].background)
        }
        return copy
    }

    /// The glyphs of one row as a string (untrimmed).
    public func rowText(_ y: Int) -> String {
        guard y >= 0, y < height else { return "" }
        return String(cells[(y * width)..<(y * width + width)].map(\.glyph))
    }

    /// Control characters would move the terminal cursor and desynchronise the screen from
    /// the frame, so they are replaced: tab by a space, others by '?'.
    static func displayable(_ glyph: Character) -> Character {
        guard let scalar = glyph.unicodeScalars.first else { return " " }
        if scalar == "\t" { return " " }
        if scalar.value < 0x20 || (scalar.value >= 0x7F && scalar.value < 0xA0) { return "?" }
        return glyph
    }
}
