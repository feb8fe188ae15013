/// Text encodings of a frame, for snapshot tests and debugging.
extension Frame {
    /// The glyphs, one line per row, trailing spaces trimmed, rows joined by "\n".
    public func plainText() -> String {
        (0..<height).map { Frame.trimmingTrailingSpaces(rowText($0)) }.joined(separator: "\n")
    }

    /// Glyphs plus a second layer of per-cell style codes and a legend:
    ///
    ///     --- glyphs ---
    ///     ┌ Box ─┐
    ///     --- styles ---
    ///     AABBBAA
    ///     --- legend ---
    ///     . fg=default bg=default
    ///     A fg=cyan bg=default bold
    ///
    /// `.` is always the plain style; other codes are assigned in reading order of first use
    /// (A-Z, a-z, 0-9, then other symbols), so the same frame always encodes the same way.
    /// Trailing plain cells are trimmed from style rows, like trailing spaces from glyph rows.
    public func styledText() -> String {
        var codes: [Style: Character] = [.plain: "."]
        var legend: [(Character, Style)] = [(".", .plain)]
        var styleRows: [String] = []
        for row in 0..<height {
            var line = ""
            for column in 0..<width {
                let style = self[column, row].style
                if let code = codes[style] {
                    line.append(code)
                } else {
                    let code = Frame.styleCode(number: legend.count - 1)
                    codes[style] = code
                    legend.append((code, style))
                    line.append(code)
                }
            }
            while line.last == "." { line.removeLast() }
            styleRows.append(line)
        }
        var parts = ["--- glyphs ---", plainText(), "--- styles ---"]
        parts.append(contentsOf: styleRows)
        parts.append("--- legend ---")
        parts.append(contentsOf: legend.map { "\($0.0) \($0.1.legendDescription)" })
        return parts.joined(separator: "\n")
    }

    private static let codeAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!$%&*+-/<=>?@^_~")

    private static func styleCode(number: Int) -> Character {
        if number < codeAlphabet.count { return codeAlphabet[number] }
        // Beyond the printable alphabet, fall back to letters from an unambiguous block.
        return Character(Unicode.Scalar(0x3B1 + (number - codeAlphabet.count)) ?? "?")
    }

    static func trimmingTrailingSpaces(_ line: String) -> String {
        var line = line
        while line.last == " " { line.removeLast() }
        return line
    }
}
