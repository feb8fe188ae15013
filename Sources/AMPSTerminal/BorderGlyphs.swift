/// The six pieces of a box outline.
public struct BorderGlyphs: Hashable, Sendable {
    public var horizontal: Character
    public var vertical: Character
    public var topLeft: Character
    public var topRight: Character
    public var bottomLeft: Character
    public var bottomRight: Character

    public init(horizontal: Character, vertical: Character, topLeft: Character, topRight: Character,
                bottomLeft: Character, bottomRight: Character) {
        self.horizontal = horizontal
        self.vertical = vertical
        self.topLeft = topLeft
        self.topRight = topRight
        self.bottomLeft = bottomLeft
        self.bottomRight = bottomRight
    }

    public static let light = BorderGlyphs(horizontal: "─", vertical: "│", topLeft: "┌", topRight: "┐",
                                           bottomLeft: "└", bottomRight: "┘")
    public static let heavy = BorderGlyphs(horizontal: "━", vertical: "┃", topLeft: "┏", topRight: "┓",
                                           bottomLeft: "┗", bottomRight: "┛")
    public static let ascii = BorderGlyphs(horizontal: "-", vertical: "|", topLeft: "+", topRight: "+",
                                           bottomLeft: "+", bottomRight: "+")
    /// '=' top and bottom: shows focus without colour or bold on an ASCII terminal.
    public static let asciiFocused = BorderGlyphs(horizontal: "=", vertical: "|", topLeft: "+", topRight: "+",
                                                  bottomLeft: "+", bottomRight: "+")
}
