/// Shown instead of the UI when the terminal is smaller than the layout needs (like btop):
/// states the current size and the size needed, the too-small dimension highlighted.
public struct TooSmallScreen: Widget {
    public var current: Size
    public var required: Size
    public var hint: String?

    public init(current: Size, required: Size, hint: String? = "Enlarge the window, or press q to quit.") {
        self.current = current
        self.required = required
        self.hint = hint
    }

    /// The message lines, without styling: what the screen says.
    public var lines: [String] {
        var result = ["Terminal too small",
                      "Current size: \(current.width)x\(current.height)",
                      "Needed: \(required.width)x\(required.height)"]
        if let hint { result.append(hint) }
        return result
    }

    /// When the full message does not fit, this one line still says everything.
    public var compactText: String { "\(current) < \(required)" }

    public func draw(into frame: inout Frame, area: Rect, context: RenderContext) {
        guard !area.isEmpty else { return }
        frame.fill(area, style: context.theme.text)
        let fullWidth = lines.map(\.count).max() ?? 0
        guard fullWidth <= area.width, lines.count <= area.height else {
            let text = TextFitting.truncate(compactText, width: area.width, ellipsis: context.glyphs.ellipsis)
            frame.put(text, x: area.x + max(0, (area.width - text.count) / 2), y: area.y + area.height / 2,
                      style: context.theme.error, clip: area)
            return
        }
        let top = area.y + (area.height - lines.count) / 2
        for (i, line) in lines.enumerated() {
            let x = area.x + (area.width - line.count) / 2
            let style = i == 0 ? context.theme.error : context.theme.text
            frame.put(line, x: x, y: top + i, style: style, clip: area)
        }
        // Highlight the dimension(s) that fall short in the "Current size" line.
        let sizeLine = lines[1]
        let sizeX = area.x + (area.width - sizeLine.count) / 2 + "Current size: ".count
        let widthText = String(current.width), heightText = String(current.height)
        if current.width < required.width {
            frame.put(widthText, x: sizeX, y: top + 1, style: context.theme.error, clip: area)
        }
        if current.height < required.height {
            frame.put(heightText, x: sizeX + widthText.count + 1, y: top + 1, style: context.theme.error, clip: area)
        }
    }
}
