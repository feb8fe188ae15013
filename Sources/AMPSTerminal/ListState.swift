/// Selection and scroll position of a list or table, kept by the pane between frames.
///
/// The invariant the widgets rely on: after `scrollToSelection(visibleRows:count:)` the
/// selected row is inside the visible window and the window does not extend past the end
/// of the list when the list is long enough to fill it.
public struct ListState: Hashable, Sendable {
    /// Index of the selected row; nil only when the list is empty.
    public var selected: Int?
    /// Index of the first visible row.
    public var offset: Int

    public init(selected: Int? = 0, offset: Int = 0) {
        self.selected = selected
        self.offset = offset
    }

    /// Moves the selection by `delta` rows, clamped to the list.
    public mutating func moveSelection(by delta: Int, count: Int) {
        guard count > 0 else { selected = nil; return }
        selected = min(count - 1, max(0, (selected ?? 0) + delta))
    }

    public mutating func select(_ index: Int, count: Int) {
        guard count > 0 else { selected = nil; return }
        selected = min(count - 1, max(0, index))
    }

    public mutating func selectFirst(count: Int) { select(0, count: count) }
    public mutating func selectLast(count: Int) { select(count - 1, count: count) }

    /// Makes the selection valid for a list that may have changed length.
    public mutating func clamp(count: Int) {
        guard count > 0 else { selected = nil; offset = 0; return }
        selected = min(count - 1, max(0, selected ?? 0))
    }

    /// Scrolls the least amount that brings the selection into a window of `visibleRows`.
    public mutating func scrollToSelection(visibleRows: Int, count: Int) {
        clamp(count: count)
        guard visibleRows > 0, let selected else { offset = 0; return }
        if selected < offset { offset = selected }
        if selected >= offset + visibleRows { offset = selected - visibleRows + 1 }
        offset = max(0, min(offset, count - visibleRows))
    }

    /// "n/m" with n 1-based, or "0/0" for an empty list.
    public func positionText(count: Int) -> String {
        guard count > 0, let selected else { return "0/0" }
        return "\(min(selected, count - 1) + 1)/\(count)"
    }
}
