/// The key table as docs/USAGE.md prints it: the help overlay's sections (one per
/// section, in the overlay's order), each a Markdown table of keys, config name and help
/// text. `amps keys` prints it; a test checks that USAGE.md holds exactly this text.
extension KeyMap {
    public func markdownTable() -> String {
        var out: [String] = []
        var bySection: [(title: String, actions: [Action])] = []
        for action in Action.allCases where !keys(for: action).isEmpty {
            if let i = bySection.firstIndex(where: { $0.title == action.helpSection }) { bySection[i].actions.append(action) }
            else { bySection.append((action.helpSection, [action])) }
        }
        for (title, actions) in bySection {
            out += ["### \(title)", "", "| keys | action (config name) | what it does |", "|---|---|---|"]
            for a in actions {
                let names = keys(for: a).map { "`\($0.documentationLabel)`" }.joined(separator: " ")
                out.append("| \(names) | `\(a.name)` | \(a.helpText) |")
            }
            out.append("")
        }
        return out.joined(separator: "\n")
    }
}

extension Key {
    /// How the documentation spells a key: arrows as glyphs, named keys capitalised as on
    /// a keyboard, everything else by its config-file name (`q`, `]`, `C-b`, `F1`).
    public var documentationLabel: String {
        switch self {
        case .up: return "↑"
        case .down: return "↓"
        case .left: return "←"
        case .right: return "→"
        case .pageUp: return "PgUp"
        case .pageDown: return "PgDn"
        case .home: return "Home"
        case .end: return "End"
        case .tab: return "Tab"
        case .backTab: return "S-Tab"
        case .escape: return "Esc"
        case .enter: return "Enter"
        case .function(let n): return "F\(n)"
        default: return name
        }
    }
}
