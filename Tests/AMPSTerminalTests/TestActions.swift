import AMPSTerminal

/// A small action set standing in for the inspector's.
enum TestAction: String, BindableAction {
    case quit
    case toggleHelp = "toggle-help"
    case moveUp = "move-up"
    case moveDown = "move-down"
    case steerMore = "steer-more"
    case unboundByDefault = "unbound-by-default"

    var name: String { rawValue }

    var helpText: String {
        switch self {
        case .quit: return "Quit"
        case .toggleHelp: return "Show or hide this help"
        case .moveUp: return "Select previous"
        case .moveDown: return "Select next"
        case .steerMore: return "Increase alpha"
        case .unboundByDefault: return "Something rare"
        }
    }

    var helpSection: String {
        switch self {
        case .quit, .toggleHelp: return "General"
        case .moveUp, .moveDown: return "Navigation"
        case .steerMore, .unboundByDefault: return "Steering"
        }
    }

    static var defaults: KeyMap<TestAction> {
        KeyMap(defaults: [
            .quit: [.character("q"), .control("c")],
            .toggleHelp: [.character("?")],
            .moveUp: [.up, .character("k")],
            .moveDown: [.down, .character("j")],
            .steerMore: [.character("+")],
        ])
    }
}
