/// Horizontal placement of text in a column.
public enum TextAlignment: Hashable, Sendable {
    case left, center, right
}
