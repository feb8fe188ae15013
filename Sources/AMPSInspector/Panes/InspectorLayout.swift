import AMPSTerminal

/// Where each pane goes for a terminal size. Below 80x24 nothing fits: the screen says so.
public struct InspectorLayout: Equatable, Sendable {
    public static let minimum = Size(width: 80, height: 24)
    /// From this size on, all detail panes are shown at once in a 2x2 grid.
    public static let wide = Size(width: 150, height: 40)

    public var controls: Rect
    public var list: Rect
    public var status: Rect
    /// Detail panes on screen (compact: only the chosen one).
    public var panes: [Pane: Rect]
    public var isWide: Bool

    public init(size: Size, detail: Pane) {
        let all = Rect(size: size)
        let (top, rest0) = all.splitTop(3)
        let (middle, bottom) = rest0.splitBottom(1)
        controls = top
        status = bottom
        isWide = size.width >= InspectorLayout.wide.width && size.height >= InspectorLayout.wide.height
        let (l, right) = middle.splitLeft(isWide ? 40 : 32)
        list = l
        if isWide {
            let rows = Layout.split(right, .vertical, [.fill, .fill])
            let topRow = Layout.split(rows[0], .horizontal, [.fill, .fill])
            let bottomRow = Layout.split(rows[1], .horizontal, [.fill, .fill])
            panes = [.instance: topRow[0], .map: topRow[1], .sensitivity: bottomRow[0], .layer: bottomRow[1]]
        } else {
            let shown: Pane = (detail == .list || detail == .steering) ? .instance : detail
            panes = [shown: right]
        }
    }

    public static func fits(_ size: Size) -> Bool { size.width >= minimum.width && size.height >= minimum.height }
}
