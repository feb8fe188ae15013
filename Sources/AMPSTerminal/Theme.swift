/// Semantic styles shared by all widgets, so panes look alike and a monochrome terminal
/// gets a theme built from attributes instead of colours that would be stripped anyway.
public struct Theme: Hashable, Sendable {
    public var text: Style
    public var dimText: Style
    public var border: Style
    public var focusedBorder: Style
    public var title: Style
    public var focusedTitle: Style
    public var header: Style
    /// Selected row in the focused pane.
    public var selection: Style
    /// Selected row in a pane without focus: visible, but quieter.
    public var inactiveSelection: Style
    public var statusBar: Style
    public var statusKey: Style
    public var accent: Style
    public var error: Style
    public var warning: Style
    /// Marks a range of rows (e.g. the steering window in a heatmap).
    public var mark: Style
    /// Default colours for chart series, in order.
    public var seriesColors: [Color]

    public init(text: Style, dimText: Style, border: Style, focusedBorder: Style, title: Style,
                focusedTitle: Style, header: Style, selection: Style, inactiveSelection: Style,
                statusBar: Style, statusKey: Style, accent: Style, error: Style, warning: Style,
                mark: Style, seriesColors: [Color]) {
        self.text = text
        self.dimText = dimText
        self.border = border
        self.focusedBorder = focusedBorder
        self.title = title
        self.focusedTitle = focusedTitle
        self.header = header
        self.selection = selection
        self.inactiveSelection = inactiveSelection
        self.statusBar = statusBar
        self.statusKey = statusKey
        self.accent = accent
        self.error = error
        self.warning = warning
        self.mark = mark
        self.seriesColors = seriesColors
    }

    /// ANSI colours only, so the theme looks the same in 16, 256 and truecolor modes and
    /// follows the user's terminal palette.
    public static let colored = Theme(
        text: .plain,
        dimText: Style(foreground: .ansi(.brightBlack)),
        border: Style(foreground: .ansi(.brightBlack)),
        focusedBorder: Style(foreground: .ansi(.cyan), attributes: .bold),
        title: Style(attributes: .bold),
        focusedTitle: Style(foreground: .ansi(.cyan), attributes: .bold),
        header: Style(foreground: .ansi(.black), background: .ansi(.green)),
        selection: Style(foreground: .ansi(.black), background: .ansi(.cyan)),
        inactiveSelection: Style(foreground: .ansi(.black), background: .ansi(.white)),
        statusBar: Style(foreground: .ansi(.black), background: .ansi(.white)),
        statusKey: Style(foreground: .ansi(.white), background: .ansi(.blue), attributes: .bold),
        accent: Style(foreground: .ansi(.cyan)),
        error: Style(foreground: .ansi(.brightRed), attributes: .bold),
        warning: Style(foreground: .ansi(.yellow)),
        mark: Style(foreground: .ansi(.magenta), attributes: .bold),
        seriesColors: [.ansi(.brightCyan), .ansi(.brightYellow), .ansi(.brightMagenta), .ansi(.brightGreen),
                       .ansi(.brightRed)])

    /// Attributes only, for `.none` colour mode (NO_COLOR): reverse marks selection and
    /// bars, bold marks focus, underline marks headers.
    public static let monochrome = Theme(
        text: .plain,
        dimText: Style(attributes: .dim),
        border: .plain,
        focusedBorder: Style(attributes: .bold),
        title: .plain,
        focusedTitle: Style(attributes: .bold),
        header: Style(attributes: [.bold, .underline]),
        selection: Style(attributes: .reverse),
        inactiveSelection: Style(attributes: .underline),
        statusBar: Style(attributes: .reverse),
        statusKey: Style(attributes: .bold),
        accent: Style(attributes: .bold),
        error: Style(attributes: .bold),
        warning: Style(attributes: .bold),
        mark: Style(attributes: .bold),
        seriesColors: [.default])

    public static func standard(for mode: ColorMode) -> Theme {
        mode == .none ? .monochrome : .colored
    }
}
