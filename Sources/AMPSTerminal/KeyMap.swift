/// Which key triggers which action: one table that both dispatches keys and generates the
/// help overlay, so the help can never disagree with the behaviour.
///
/// A key belongs to at most one action. An action may have several keys (their order is
/// the order shown in help).
public struct KeyMap<Action: BindableAction> {
    private var keysByAction: [Action: [Key]]
    private var actionByKey: [Key: Action]

    /// The default bindings. Binding one key to two actions is a programming error and stops
    /// the program (it would make dispatch depend on dictionary order).
    public init(defaults: [Action: [Key]]) {
        keysByAction = [:]
        actionByKey = [:]
        for action in Action.allCases {
            for key in defaults[action] ?? [] {
                if let other = actionByKey[key], other != action {
                    preconditionFailure("key '\(key.name)' bound to both '\(other.name)' and '\(action.name)'")
                }
                if actionByKey[key] == nil { keysByAction[action, default: []].append(key) }
                actionByKey[key] = action
            }
        }
    }

    /// The action for a pressed key, if any.
    public func action(for key: Key) -> Action? { actionByKey[key] }

    /// The keys of an action, in binding order.
    public func keys(for action: Action) -> [Key] { keysByAction[action] ?? [] }

    /// Replaces the keys of `action`. A key taken from another action is removed there.
    public mutating func bind(_ action: Action, to keys: [Key]) {
        for old in keysByAction[action] ?? [] { actionByKey[old] = nil }
        keysByAction[action] = []
        for key in keys where actionByKey[key] != action {
            unbind(key)
            actionByKey[key] = action
            keysByAction[action, default: []].append(key)
        }
    }

    /// Removes `key` from whichever action has it.
    public mutating func unbind(_ key: Key) {
        guard let action = actionByKey.removeValue(forKey: key) else { return }
        keysByAction[action]?.removeAll { $0 == key }
    }

    /// Looks up an action by its config name.
    public static func action(named name: String) -> Action? {
        Action.allCases.first { $0.name == name }
    }

    /// Help overlay content: sections in order of first appearance in `allCases`, one entry
    /// per action that has keys (an unbound action cannot be triggered, so it is not listed).
    public func helpSections() -> [HelpSection] {
        var sections: [HelpSection] = []
        for action in Action.allCases {
            let keys = self.keys(for: action)
            guard !keys.isEmpty else { continue }
            let entry = HelpEntry(keys: keys.map(\.name).joined(separator: ", "), description: action.helpText)
            if let index = sections.firstIndex(where: { $0.title == action.helpSection }) {
                sections[index].entries.append(entry)
            } else {
                sections.append(HelpSection(title: action.helpSection, entries: [entry]))
            }
        }
        return sections
    }
}

extension KeyMap: Sendable where Action: Sendable {}
extension KeyMap: Equatable {}
