/// A mouse press or wheel step at a cell (0-based, screen coordinates).
public struct MouseEvent: Hashable, Sendable {
    public enum Button: String, Hashable, Sendable, CaseIterable {
        case left, middle, right, wheelUp = "wheelup", wheelDown = "wheeldown"
    }

    public var button: Button
    public var x: Int
    public var y: Int

    public init(button: Button, x: Int, y: Int) {
        self.button = button
        self.x = x
        self.y = y
    }
}
