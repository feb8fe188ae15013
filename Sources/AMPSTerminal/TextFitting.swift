/// Fitting text into a fixed number of columns (one column per Character).
public enum TextFitting {
    /// Cuts `text` to `width` columns, ending with `ellipsis` when something was cut.
    public static func truncate(_ text: String, width: Int, ellipsis: Character) -> String {
        guard width > 0 else { return "" }
        guard text.count > width else { return text }
        if width == 1 { return String(ellipsis) }
        return String(text.prefix(width - 1)) + String(ellipsis)
    }

    /// Truncates, then pads with spaces to exactly `width` columns.
    public static func fit(_ text: String, width: Int, alignment: TextAlignment = .left,
                           ellipsis: Character = "…") -> String {
        let cut = truncate(text, width: width, ellipsis: ellipsis)
        let padding = max(0, width - cut.count)
        switch alignment {
        case .left:
            return cut + String(repeating: " ", count: padding)
        case .right:
            return String(repeating: " ", count: padding) + cut
        case .center:
            let left = padding / 2
            return String(repeating: " ", count: left) + cut + String(repeating: " ", count: padding - left)
        }
    }
}
