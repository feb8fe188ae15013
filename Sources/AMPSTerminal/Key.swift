/// One input event from the keyboard (or mouse, or a terminal resize).
///
/// Each key has a textual name, used in the config file and the help overlay; `Key(name:)`
/// parses every name that `name` produces (plus a few aliases):
///
/// | key | name | aliases |
/// | --- | --- | --- |
/// | printable character | itself: `q`, `Q`, `?`, `+`, `#` | |
/// | space | `space` | |
/// | Enter | `enter` | `return`, `ret`, `C-m`, `C-j` |
/// | Esc | `esc` | `escape` |
/// | Tab / Shift-Tab | `tab` / `S-tab` | `C-i` / `backtab`, `btab` |
/// | arrows | `up` `down` `left` `right` | |
/// | PageUp / PageDown | `pgup` / `pgdn` | `pageup`, `pagedown` |
/// | Home / End | `home` / `end` | |
/// | Backspace / Delete / Insert | `backspace` / `delete` / `insert` | `bs`, `C-h` / `del` / `ins` |
/// | F1...F12 | `f1` ... `f12` | |
/// | Ctrl-letter | `C-c` | `ctrl-c`, `ctrl+c`, `^c` |
/// | resize | `resize` | |
/// | mouse | `mouse-left@x,y`, `mouse-wheelup@x,y`, ... | |
///
/// Named keys are case-insensitive (`Enter`, `PGDN`); single characters are not (`q` ≠ `Q`).
public enum Key: Hashable, Sendable {
    /// A printable character, including space (never a control character).
    case character(Character)
    case enter
    case escape
    case tab
    case backTab
    case backspace
    case delete
    case insert
    case up
    case down
    case left
    case right
    case pageUp
    case pageDown
    case home
    case end
    /// F1...F12.
    case function(Int)
    /// Ctrl plus a lowercase letter a...z. Ctrl-H, I, J and M arrive as .backspace, .tab
    /// and .enter because terminals send the same bytes for them.
    case control(Character)
    case mouse(MouseEvent)
    /// The terminal changed size; redraw at the new size.
    case resize

    public static let space = Key.character(" ")

    /// Keys that can appear in key bindings (mouse events and resize are not keys a user presses).
    public var isBindable: Bool {
        switch self {
        case .mouse, .resize: return false
        default: return true
        }
    }

    private static let namedKeys: [(Key, String)] = [
        (.enter, "enter"), (.escape, "esc"), (.tab, "tab"), (.backTab, "S-tab"), (.backspace, "backspace"),
        (.delete, "delete"), (.insert, "insert"), (.up, "up"), (.down, "down"), (.left, "left"),
        (.right, "right"), (.pageUp, "pgup"), (.pageDown, "pgdn"), (.home, "home"), (.end, "end"),
        (.resize, "resize"),
    ]

    private static let aliases: [String: Key] = [
        "return": .enter, "ret": .enter, "escape": .escape, "backtab": .backTab, "btab": .backTab,
        "pageup": .pageUp, "pagedown": .pageDown, "bs": .backspace, "del": .delete, "ins": .insert,
        "space": .space, "spc": .space,
    ]

    /// The canonical name (see the table above).
    public var name: String {
        switch self {
        case .character(" "): return "space"
        case .character(let c): return String(c)
        case .function(let n): return "f\(n)"
        case .control(let c): return "C-\(c)"
        case .mouse(let event): return "mouse-\(event.button.rawValue)@\(event.x),\(event.y)"
        default: return Key.namedKeys.first { $0.0 == self }!.1
        }
    }

    /// Parses a key name; nil if it names no key.
    public init?(name: String) {
        if name.count == 1, let c = name.first {
            guard Key.isPrintable(c) else { return nil }
            self = .character(c)
            return
        }
        let lower = name.lowercased()
        if let key = Key.namedKeys.first(where: { $0.1.lowercased() == lower })?.0 ?? Key.aliases[lower] {
            self = key
            return
        }
        for prefix in ["c-", "ctrl-", "ctrl+", "^"] where lower.hasPrefix(prefix) {
            let rest = lower.dropFirst(prefix.count)
            guard rest.count == 1, let letter = rest.first, let key = Key.control(letter: letter) else { return nil }
            self = key
            return
        }
        if lower.hasPrefix("f"), lower.dropFirst().allSatisfy(\.isASCIIDigit), !lower.hasPrefix("f0"),
           let n = Int(lower.dropFirst()), (1...12).contains(n) {
            self = .function(n)
            return
        }
        if lower.hasPrefix("mouse-"), let event = Key.parseMouse(lower.dropFirst(6)) {
            self = .mouse(event)
            return
        }
        return nil
    }

    /// Ctrl + `letter`, folded onto the key terminals actually send for it.
    public static func control(letter: Character) -> Key? {
        guard let ascii = letter.lowercased().first?.asciiValue, ascii >= 97, ascii <= 122 else { return nil }
        switch Character(UnicodeScalar(ascii)) {
        case "h": return .backspace
        case "i": return .tab
        case "j", "m": return .enter
        default: return .control(Character(UnicodeScalar(ascii)))
        }
    }

    static func isPrintable(_ c: Character) -> Bool {
        guard let scalar = c.unicodeScalars.first else { return false }
        return scalar.value >= 0x20 && scalar.value != 0x7F && !(0x80..<0xA0).contains(scalar.value)
    }

    private static func parseMouse(_ text: Substring) -> MouseEvent? {
        let parts = text.split(separator: "@")
        guard parts.count == 2, let button = MouseEvent.Button(rawValue: String(parts[0])) else { return nil }
        let coordinates = parts[1].split(separator: ",")
        guard coordinates.count == 2, let x = Int(coordinates[0]), let y = Int(coordinates[1]), x >= 0, y >= 0 else {
            return nil
        }
        return MouseEvent(button: button, x: x, y: y)
    }
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
