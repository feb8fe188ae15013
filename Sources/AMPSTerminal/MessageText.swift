/// Text from a file or the environment made safe for a one-line message on stderr:
/// control characters escaped (a raw ESC would drive the user's terminal) and the whole
/// cut to a readable length (a 20 MB line in the config file was echoed whole).
public enum MessageText {
    /// Characters of a message kept before it is cut.
    public static let defaultLimit = 300

    public static func oneLine(_ text: String, limit: Int = defaultLimit) -> String {
        var out = String.UnicodeScalarView()
        var length = 0  // of out, in scalars (counting the view would be linear each time)
        var scalars = text.unicodeScalars.makeIterator()
        while let s = scalars.next() {
            if length >= limit {
                var rest = 1
                while scalars.next() != nil { rest += 1 }
                return String(out) + "… (\(rest) more characters)"
            }
            let piece: String.UnicodeScalarView
            switch s.value {
            case 0x09: piece = "\\t".unicodeScalars
            case 0x0A: piece = "\\n".unicodeScalars
            case 0x0D: piece = "\\r".unicodeScalars
            case 0..<0x20, 0x7F, 0x80..<0xA0: piece = ("\\x" + hex2(s.value)).unicodeScalars
            default: out.append(s); length += 1; continue
            }
            out.append(contentsOf: piece)
            length += piece.count
        }
        return String(out)
    }

    private static func hex2(_ v: UInt32) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(v >> 4) & 0xF], digits[Int(v) & 0xF]])
    }
}
