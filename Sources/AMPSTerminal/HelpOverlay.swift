/// One line of the help overlay: the keys (already joined, e.g. "q, C-c") and what they do.
public struct HelpEntry: Hashable, Sendable {
    public var keys: String
    public var description: String

    public init(keys: String, description: String) {
        self.keys = keys
        self.description = description
    }
}

/// A titled group of help entries ("Navigation", "Steering", ...).
public struct HelpSection: Hashable, Sendable {
    public var title: String
    public var entries: [HelpEntry]

    public init(title: String, entries: [HelpEntry]) {
        self.title = title
        self.entries = entries
    }
}

/// A centred box listing key bindings by section, drawn over whatever is below it.
///
/// Sections flow into as many side-by-side columns as needed to fit the height (whole
/// sections per column, never split); if even that does not fit, lines are scrolled by
/// `scrollOffset` and the footer shows the position.
public struct HelpOverlay: Widget {
    public var title: String
    public var sections: [HelpSection]
    public var scrollOffset: Int
    /// Shown on the bottom border, e.g. "? or esc to close".
    public var footer: String?

    public init(title: String = "Keys", sections: [HelpSection], scrollOffset: Int = 0, footer: String? = nil) {
        self.title = title
        self.sections = sections
        self.scrollOffset = scrollOffset
        self.footer = footer
    }

    var keyWidth: Int { sections.flatMap(\.entries).map(\.keys.count).max() ?? 0 }
    var descriptionWidth: Int { sections.flatMap(\.entries).map(\.description.count).max() ?? 0 }
    /// "  keys  description": indent, keys, gap, description.
    var columnWidth: Int { max(2 + keyWidth + 2 + descriptionWidth, sections.map(\.title.count).max() ?? 0) }

    /// Lines of one section: its title, then its entries; a blank line separates sections.
    func lines(of section: HelpSection) -> [(text: String, isTitle: Bool)] {
        [(section.title, true)] + section.entries.map { entry in
            ("  " + TextFitting.fit(entry.keys, width: keyWidth) + "  " + entry.description, false)
        }
    }

    /// Sections grouped into columns, using the fewest columns whose tallest column fits
    /// `height` within `width`; a single column if nothing fits.
    func columns(height: Int, width: Int) -> [[HelpSection]] {
        let maxColumns = max(1, min(sections.count, (width + 3) / (columnWidth + 3)))
        for count in 1...maxColumns {
            let grouped = HelpOverlay.distribute(sections, into: count)
            let tallest = grouped.map(HelpOverlay.height(of:)).max() ?? 0
            if tallest <= height { return grouped }
        }
        return [sections]
    }

    static func height(of sections: [HelpSection]) -> Int {
        sections.isEmpty ? 0 : sections.map { 1 + $0.entries.count }.reduce(0, +) + sections.count - 1
    }

    /// Splits sections, in order, into `count` columns of roughly equal height.
    static func distribute(_ sections: [HelpSection], into count: Int) -> [[HelpSection]] {
        let target = (height(of: sections) + count - 1) / count
        var columns: [[HelpSection]] = [[]]
        for section in sections {
            let current = columns[columns.count - 1]
            if !current.isEmpty, height(of: current + [section]) > target, columns.count < count {
                columns.append([section])
            } else {
                columns[columns.count - 1].append(section)
            }
        }
        return columns
    }

    public func draw(into frame: inout Frame, area: Rect, context: RenderContext) {
        guard area.width >= 4, area.height >= 3 else { return }
        let columns = columns(height: area.height - 2, width: area.width - 4)
        let contentHeight = columns.map(HelpOverlay.height(of:)).max() ?? 0
        let contentWidth = columns.count * columnWidth + (columns.count - 1) * 3
        let box = area.centered(width: max(contentWidth, title.count + 2, (footer?.count ?? 0) + 2) + 4,
                                height: contentHeight + 2)
        frame.fill(box, style: context.theme.text)
        let inner = Box.contentArea(of: box).inset(left: 1, right: 1)
        let overflow = contentHeight > inner.height
        let offset = overflow ? max(0, min(scrollOffset, contentHeight - inner.height)) : 0
        var footerText = footer
        if overflow {
            let position = "\(offset + 1)-\(offset + inner.height)/\(contentHeight)"
            footerText = footer.map { $0 + "  " + position } ?? position
        }
        Box(title: title, footer: footerText, isFocused: true).draw(into: &frame, area: box, context: context)
        for (c, column) in columns.enumerated() {
            let x = inner.x + c * (columnWidth + 3)
            var lineNumber = 0
            for (s, section) in column.enumerated() {
                if s > 0 { lineNumber += 1 }
                for line in lines(of: section) {
                    let y = inner.y + lineNumber - offset
                    if y >= inner.y {
                        let style = line.isTitle ? context.theme.focusedTitle : context.theme.text
                        let text = TextFitting.truncate(line.text, width: min(columnWidth, inner.maxX - x),
                                                        ellipsis: context.glyphs.ellipsis)
                        frame.put(text, x: x, y: y, style: style, clip: inner)
                    }
                    lineNumber += 1
                }
            }
        }
    }
}
