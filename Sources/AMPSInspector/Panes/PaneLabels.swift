import Foundation

/// How instance text is shortened for the panes.
extension PaneText {
    /// Generated text on one line: line breaks and control characters as spaces, runs of
    /// spaces collapsed (a model's output can hold anything).
    static func oneLine(_ text: String) -> String {
        let cleaned = text.unicodeScalars.map { s -> String in
            (s.properties.generalCategory == .control || CharacterSet.newlines.contains(s)) ? " " : String(s)
        }.joined()
        return cleaned.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }

    /// An image_id for the list's narrow column: a zero-padded COCO id loses its padding
    /// (`000000046962` → `46962`); the instance pane's title shows the id in full.
    static func listId(_ id: String) -> String {
        let digits = id.prefix { $0.isASCII && $0.isNumber }
        guard digits.count == 12 else { return id }
        let stripped = digits.drop { $0 == "0" }
        return (stripped.isEmpty ? "0" : String(stripped)) + id.dropFirst(12)
    }

    /// A task name that fits `width`: in full with spaces for underscores, else its first
    /// word (MC²'s eight tasks differ in their first words: `sentiment`, `positional`, ...),
    /// else cut.
    static func taskLabel(_ task: String, width: Int) -> String {
        let full = task.replacingOccurrences(of: "_", with: " ")
        if full.count <= width { return full }
        let first = String(full.prefix { $0 != " " })
        return first.count <= width ? first : String(first.prefix(max(0, width)))
    }
}
